#!/usr/bin/env escript
%%! -noinput
%% Reads 4-byte-length-prefixed external terms on stdin and answers each with a 4-byte-length-
%% prefixed reply: <<0, term_to_binary(binary_to_term(In), [{minor_version, 2}])/binary>>, or
%% <<1, Reason/binary>> when OTP refuses the input. Exits when stdin closes. Used by
%% tests/etf_roundtrip.rs to pass generated terms through a real OTP.
-mode(compile).

main(_) ->
    Port = open_port({fd, 0, 1}, [binary, {packet, 4}, eof]),
    loop(Port).

loop(Port) ->
    receive
        {Port, {data, In}} ->
            Reply = try
                <<0, (term_to_binary(binary_to_term(In), [{minor_version, 2}]))/binary>>
            catch C:E ->
                <<1, (iolist_to_binary(io_lib:format("~p:~p", [C, E])))/binary>>
            end,
            Port ! {self(), {command, Reply}},
            loop(Port);
        {Port, eof} ->
            halt(0)
    end.
