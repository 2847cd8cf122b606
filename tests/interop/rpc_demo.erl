%% The functions tests/interop/rpc.rs provides from its Rust node, written in Erlang: a real
%% Erlang node running this module is the twin the Rust node's answers are compared with, and
%% the target of the Rust -> Erlang calls and spawns.
%%
%%   add(A, B)          A + B for integers (function_clause otherwise)
%%   crash()            error(crash)
%%   throw_it(X)        throw(X)
%%   exit_it(X)         exit(X)
%%   echo(X)            X
%%   notify(Pid, M)     Pid ! {notified, node(), M}, ok
%%   sleep(Ms)          sleeps Ms, then ok
%%   hold(Pid)          Pid ! {holding, node()}, then sleeps a minute
%%   gate(Pid)          Pid ! {gated, node(), self()}, waits for `open`,
%%                      Pid ! {notified, node(), released}, ok
%%   echo_loop()        (spawned) {From, M} -> From ! {echo, M}; {die, R} -> exit(R)
%%
%% Started by the test as
%%   erl -sname Name -setcookie Cookie -noshell -eval <compile and load the files, Main()>
%%       -extra File... Mode Args...
%% main/0 (mode `serve`) prints READY and halts when stdin closes (or after 10 minutes).
-module(rpc_demo).

-export([main/0, stdin_watch/0]).
-export([add/2, crash/0, throw_it/1, exit_it/1, echo/1, notify/2, sleep/1, hold/1, gate/1, echo_loop/0]).

main() ->
    spawn(fun() -> receive after 600000 -> halt(3) end end),
    spawn(fun stdin_watch/0),
    io:format("READY ~s~n", [node()]).

stdin_watch() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(0);
        _ -> stdin_watch()
    end.

add(A, B) when is_integer(A), is_integer(B) -> A + B.

crash() -> erlang:error(crash).

throw_it(X) -> throw(X).

exit_it(X) -> exit(X).

echo(X) -> X.

notify(Pid, M) ->
    Pid ! {notified, node(), M},
    ok.

sleep(Ms) ->
    timer:sleep(Ms),
    ok.

hold(Pid) ->
    Pid ! {holding, node()},
    timer:sleep(60000),
    ok.

gate(Pid) ->
    Pid ! {gated, node(), self()},
    receive open -> ok after 30000 -> exit(never_opened) end,
    Pid ! {notified, node(), released},
    ok.

echo_loop() ->
    receive
        {From, M} when is_pid(From) ->
            From ! {echo, M},
            echo_loop();
        {die, R} ->
            exit(R)
    end.
