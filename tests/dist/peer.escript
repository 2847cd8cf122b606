#!/usr/bin/env escript
%% A real Erlang node for the distribution tests, driven by tests/dist/erl.rs and
%% tests/dist/epmd_erl.rs.
%% Usage: peer.escript MODE NAME COOKIE TICKTIME [ARGS]
%%   echo            register `echo`: {From, Msg} -> From ! Msg ({From, which_nodes} gets
%%                   {nodes(visible), nodes(hidden)}); print READY
%%   ping TARGET     net_adm:ping(TARGET) and print "PING pong|pang"
%%   sendmany TARGET N   send {seq, I} for I in 1..N to {sink, TARGET}, then {done, N}
%% Every mode prints lines on stdout; the Rust side kills the node when done.

-mode(compile).

main([Mode, Name, Cookie, Tick | Args]) ->
    {ok, _} = net_kernel:start(list_to_atom(Name),
                               #{name_domain => shortnames,
                                 net_ticktime => list_to_integer(Tick)}),
    true = erlang:set_cookie(node(), list_to_atom(Cookie)),
    run(Mode, Args).

run("echo", []) ->
    Echo = spawn(fun echo/0),
    true = register(echo, Echo),
    io:format("READY~n"),
    receive after infinity -> ok end;
run("ping", [Target]) ->
    Result = net_adm:ping(list_to_atom(Target)),
    io:format("PING ~p~n", [Result]),
    halt(0);
run("sendmany", [Target, N]) ->
    Dest = {sink, list_to_atom(Target)},
    Count = list_to_integer(N),
    pong = net_adm:ping(list_to_atom(Target)),
    [Dest ! {seq, I} || I <- lists:seq(1, Count)],
    Dest ! {done, Count},
    io:format("SENT ~p~n", [Count]),
    receive after infinity -> ok end.

echo() ->
    receive
        {From, which_nodes} when is_pid(From) -> From ! {nodes(visible), nodes(hidden)};
        {From, Msg} when is_pid(From) -> From ! Msg;
        _ -> ok
    end,
    echo().
