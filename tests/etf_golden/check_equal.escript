#!/usr/bin/env escript
%% For every `X.ours` in the directory given (our encoding of what we decoded from `X.bin`),
%% prints `ok X` when OTP decodes both to exactly equal terms that OTP also re-encodes to the
%% same bytes, and `bad X: Reason` otherwise.
-mode(compile).

main([Dir]) ->
    Ours = filelib:wildcard(filename:join(Dir, "*.ours")),
    lists:foreach(fun(O) -> check(O) end, Ours),
    io:format("checked ~p~n", [length(Ours)]).

check(OursFile) ->
    Base = filename:rootname(OursFile),
    Name = filename:basename(Base),
    {ok, OursBin} = file:read_file(OursFile),
    {ok, TheirsBin} = file:read_file(Base ++ ".bin"),
    try
        O = binary_to_term(OursBin),
        T = binary_to_term(TheirsBin),
        Same = O =:= T,
        SameBytes = term_to_binary(O, [{minor_version, 2}]) =:= term_to_binary(T, [{minor_version, 2}]),
        %% -0.0 =:= 0.0 on OTP 25: the re-encoded bytes tell the two apart.
        case {Same, SameBytes} of
            {true, true} -> io:format("ok ~s~n", [Name]);
            _ -> io:format("bad ~s: equal=~p same_bytes=~p~n", [Name, Same, SameBytes])
        end
    catch C:E -> io:format("bad ~s: ~p:~p~n", [Name, C, E])
    end.
