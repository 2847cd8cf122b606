%% The Erlang side of tests/pool/erl.rs: calls the pool registered as `pool` on the Rust node
%% given as the plain argument, and prints what it saw, one line per check:
%%   WORKERS N           distinct worker pids that answered 40 `whoami` calls
%%   ECHO ok|{bad, R}    a call answered by a worker, directly to this caller
%%   CRASH R Ms          what a call that crashes its worker answered, and how fast (ms)
%%   AFTER R             a call after the crash (answered by the replacement)
%%   CAST ok|timeout     a cast forwarded to a worker that sends back to this process
%% then DONE, and halts when stdin closes.
-module(pool_caller).
-export([main/0]).

main() ->
    [_File, NodeText] = init:get_plain_arguments(),
    Node = list_to_atom(NodeText),
    Pool = {pool, Node},
    pong = net_adm:ping(Node),
    Pids = [gen_server:call(Pool, whoami, 5000) || _ <- lists:seq(1, 40)],
    io:format("WORKERS ~p~n", [length(lists:usort(Pids))]),
    case gen_server:call(Pool, {hello, 1}, 5000) of
        {echo, {hello, 1}} -> io:format("ECHO ok~n");
        Other -> io:format("ECHO ~p~n", [{bad, Other}])
    end,
    T0 = erlang:monotonic_time(millisecond),
    Crash = (catch gen_server:call(Pool, crash, 10000)),
    T1 = erlang:monotonic_time(millisecond),
    io:format("CRASH ~p ~p~n", [Crash, T1 - T0]),
    io:format("AFTER ~p~n", [gen_server:call(Pool, after_crash, 5000)]),
    gen_server:cast(Pool, {count, self()}),
    receive counted -> io:format("CAST ok~n") after 5000 -> io:format("CAST timeout~n") end,
    io:format("DONE~n"),
    io:get_line(""),
    halt().
