%% The driver an ErlNode runs. It connects to the test over loopback TCP (4-byte length
%% frames, each the external term format of one term), so the node's stdin and stdout stay the
%% test's: modules may read stdin and print lines the test waits for.
%%
%% At start: compile and load the given files (in order), then answer {ready, OsPid} or
%% {load_failed, Text}, then run the given expression (if any) in its own process.
%% Requests: {Id, Kind, Text}, Kind eval | compile | spawn, Text a UTF-8 binary (an expression,
%% or the path of a source file). Answers: {Id, Answer}, Answer one of
%% {ok, Value} | {raised, Class, Reason, Stack} | {parse_error, Text} | {compile_error, Text}.
%% eval and compile answer in order, each after a line `ERGO_SYNC Id` on stdout;
%% eval and keeps the bindings it made for the next eval; spawn answers at
%% once with {ok, Pid} and later, from the spawned process, with {Id, Answer} of its value.
%% The node halts when the connection closes.
-module(ergo_test_driver).
-export([main/1]).

main({Port, Files, Run}) ->
    {ok, Sock} = gen_tcp:connect({127, 0, 0, 1}, Port,
                                 [binary, {packet, 4}, {active, false}, {nodelay, true}]),
    case load_all(Files) of
        ok ->
            send(Sock, {ready, list_to_integer(os:getpid())}),
            case Run of
                none -> ok;
                _ -> spawn(fun() -> run(Run) end)
            end,
            loop(Sock, erl_eval:new_bindings());
        {error, Text} ->
            io:put_chars(standard_error, [Text, <<"\n">>]),
            send(Sock, {load_failed, Text}),
            halt(1)
    end.

%% An answer after a marker line on stdout, so the test has read what the request printed
%% by the time it has the answer (the leading newline ends a line left open).
synced(Sock, Id, Answer) ->
    io:put_chars(standard_io, io_lib:format("~nERGO_SYNC ~b~n", [Id])),
    send(Sock, {Id, Answer}).

send(Sock, Term) ->
    gen_tcp:send(Sock, term_to_binary(Term)).

load_all([]) -> ok;
load_all([File | Rest]) ->
    case load(unicode:characters_to_list(File)) of
        {ok, _} -> load_all(Rest);
        {compile_error, Text} ->
            {error, iolist_to_binary([File, <<":\n">>, Text])}
    end.

run(Text) ->
    case eval(Text, erl_eval:new_bindings()) of
        {{ok, _}, _} -> ok;
        {Error, _} -> io:format(standard_error, "ErlNode run ~ts: ~p~n", [Text, Error])
    end.

loop(Sock, Bindings) ->
    case gen_tcp:recv(Sock, 0) of
        {ok, Frame} ->
            case binary_to_term(Frame) of
                {Id, <<"eval">>, Text} ->
                    {Answer, Next} = eval(Text, Bindings),
                    synced(Sock, Id, Answer),
                    loop(Sock, Next);
                {Id, <<"compile">>, Path} ->
                    synced(Sock, Id, load(unicode:characters_to_list(Path))),
                    loop(Sock, Bindings);
                {Id, <<"spawn">>, Text} ->
                    Pid = spawn(fun() ->
                                        {Answer, _} = eval(Text, Bindings),
                                        send(Sock, {Id, Answer})
                                end),
                    send(Sock, {Id, {started, Pid}}),
                    loop(Sock, Bindings);
                _ ->
                    loop(Sock, Bindings)
            end;
        {error, _} ->
            halt(0)
    end.

eval(Bin, Bindings) ->
    Text = unicode:characters_to_list(Bin),
    case erl_scan:string(Text) of
        {ok, Tokens, _} ->
            case erl_parse:parse_exprs(Tokens) of
                {ok, Exprs} ->
                    try erl_eval:exprs(Exprs, Bindings) of
                        {value, Value, Next} -> {{ok, Value}, Next}
                    catch
                        Class:Reason:Stack -> {{raised, Class, Reason, Stack}, Bindings}
                    end;
                {error, Info} ->
                    {{parse_error, error_text(Info)}, Bindings}
            end;
        {error, Info, _} ->
            {{parse_error, error_text(Info)}, Bindings}
    end.

load(Path) ->
    Dir = filename:dirname(Path),
    case epp:parse_file(Path, [{includes, [Dir]}]) of
        {ok, Forms} ->
            case compile:forms(Forms, [binary, return_errors, return_warnings]) of
                {ok, Module, Beam, _Warnings} ->
                    code:purge(Module),
                    {module, Module} = code:load_binary(Module, Path, Beam),
                    {ok, Module};
                {error, Errors, _Warnings} ->
                    {compile_error, errors_text(Errors)}
            end;
        {error, Reason} ->
            {compile_error, unicode:characters_to_binary(io_lib:format("~p", [Reason]))}
    end.

error_text({Location, Module, Description}) ->
    unicode:characters_to_binary(
        io_lib:format("~p: ~ts", [Location, Module:format_error(Description)])).

errors_text(Errors) ->
    Lines = [[error_text(E), <<"\n">>] || {_File, Es} <- Errors, E <- Es],
    iolist_to_binary(Lines).
