%% The Erlang side of tests/interop/rpc.rs: a real `erl` node that calls into the Rust node R
%% with rpc and erpc, and makes each call of the comparison list against the Erlang twin node E
%% (running rpc_demo.erl) as well: both answers must be the same once stack locations
%% ({file, ...}, {line, ...}) are dropped, since Rust functions have none.
%%
%% Started as `erl ... -extra DemoFile DriverFile Case R E`; prints one line per check:
%%   SAME Label | DIFF Label Rust Erlang | OK Label | BAD Label Got
%% then DONE. Case `compare` runs the comparison list, `rust` the Rust-only checks, `revoke`
%% prints REVOKE and waits for `go` (sent once the Rust side revoked rpc_demo:add/2).
-module(rpc_driver).

-export([main/0]).

%% True when a message matching Pattern arrives within 10 s (others stay queued).
-define(GOT(Pattern), receive Pattern -> true after 10000 -> false end).

main() ->
    [_Demo, _Driver, Case, R, E] = init:get_plain_arguments(),
    spawn(fun() -> receive after 600000 -> halt(3) end end),
    spawn(fun rpc_demo:stdin_watch/0),
    true = register(rpc_driver, self()),
    Rust = list_to_atom(R),
    Erl = list_to_atom(E),
    pong = net_adm:ping(Rust),
    pong = net_adm:ping(Erl),
    run(Case, Rust, Erl),
    say("DONE", []).

say(Format, Args) ->
    io:format(Format ++ "~n", Args).

%% Drops stack frame locations so Rust and Erlang stacks compare.
norm({M, F, A, Loc}) when is_atom(M), is_atom(F), is_list(Loc) ->
    {M, F, norm(A), []};
norm(T) when is_tuple(T) ->
    list_to_tuple(norm(tuple_to_list(T)));
norm([H | T]) ->
    [norm(H) | norm(T)];
norm(X) ->
    X.

caught(F) ->
    try
        {value, F()}
    catch
        C:Reason -> {C, Reason}
    end.

compare(Label, F, Rust, Erl) ->
    A = norm(caught(fun() -> F(Rust) end)),
    B = norm(caught(fun() -> F(Erl) end)),
    case A =:= B of
        true -> say("SAME ~s ~0p", [Label, A]);
        false -> say("DIFF ~s rust=~0p erlang=~0p", [Label, A, B])
    end.

check(Label, Got, Pred) ->
    case catch Pred(Got) of
        true -> say("OK ~s", [Label]);
        _ -> say("BAD ~s ~0p (mailbox ~0p)", [Label, Got, process_info(self(), messages)])
    end.

got(Label, Got) ->
    check(Label, Got, fun(X) -> X end).

down_reason(N, M, F, A) ->
    ReqId = spawn_request(N, M, F, A, [monitor]),
    receive
        {spawn_reply, ReqId, ok, _Pid} ->
            receive {'DOWN', ReqId, process, _, Reason} -> {down, Reason}
            after 10000 -> timeout
            end;
        {spawn_reply, ReqId, error, Reason} ->
            {spawn_error, Reason}
    after 10000 -> timeout
    end.

%% A block call holds rex: a rex call sent while it runs is served after it. The block call's
%% function (gate/1) reports its pid and waits for `open`; a rex call of notify/2 is sent
%% before `open`, on the same connection, so it reaches rex while the gate still holds it.
block_order(N) ->
    Me = self(),
    GL = group_leader(),
    spawn(fun() -> Me ! {block_call_result, rpc:block_call(N, rpc_demo, gate, [Me], 10000)} end),
    receive
        {gated, N, Gate} ->
            ReqId = gen_server:send_request({rex, N}, {call, rpc_demo, notify, [Me, second], GL}),
            Gate ! open,
            First = receive {notified, N, W1} -> W1 after 10000 -> timeout end,
            Second = receive {notified, N, W2} -> W2 after 10000 -> timeout end,
            Reply = gen_server:wait_response(ReqId, 10000),
            Result = receive {block_call_result, R} -> R after 10000 -> timeout end,
            {First, Second, Reply, Result}
    after 10000 -> no_gate
    end.

features(N) ->
    {rex, N} ! {self(), features_request},
    receive {features_reply, N, Features} -> {features_reply, Features}
    after 10000 -> timeout
    end.

calls() ->
    Term = {a, [1, 2], <<"b">>, #{k => v}, 3.5, -(1 bsl 70)},
    [{"add", rpc_demo, add, [1, 2]},
     {"function_clause", rpc_demo, add, [a, b]},
     {"wrong_arity", rpc_demo, add, [1]},
     {"unknown_function", rpc_demo, nofun, []},
     {"unknown_module", nomod, nofun, [x]},
     {"error", rpc_demo, crash, []},
     {"throw", rpc_demo, throw_it, [t]},
     {"exit", rpc_demo, exit_it, [bye]},
     {"echo_term", rpc_demo, echo, [Term]},
     {"waits", rpc_demo, sleep, [20]}].

run("compare", Rust, Erl) ->
    GL = group_leader(),
    lists:foreach(
      fun({Label, M, F, A}) ->
              compare("rpc:call " ++ Label, fun(N) -> rpc:call(N, M, F, A) end, Rust, Erl),
              compare("erpc:call " ++ Label, fun(N) -> erpc:call(N, M, F, A) end, Rust, Erl),
              compare("erpc:multicall " ++ Label,
                      fun(N) -> erpc:multicall([N], M, F, A) end, Rust, Erl),
              compare("rpc:multicall " ++ Label,
                      fun(N) -> rpc:multicall([N], M, F, A) end, Rust, Erl),
              compare("erpc:send_request " ++ Label,
                      fun(N) -> erpc:receive_response(erpc:send_request(N, M, F, A), 10000) end,
                      Rust, Erl),
              compare("rex call " ++ Label,
                      fun(N) -> gen_server:call({rex, N}, {call, M, F, A, GL}, 10000) end,
                      Rust, Erl),
              compare("rpc:block_call " ++ Label,
                      fun(N) -> rpc:block_call(N, M, F, A, 10000) end, Rust, Erl)
      end, calls()),
    compare("rpc:block_call blocks rex", fun block_order/1, Rust, Erl),
    compare("rpc:call timeout", fun(N) -> rpc:call(N, rpc_demo, sleep, [3000], 200) end, Rust, Erl),
    compare("erpc:call timeout", fun(N) -> erpc:call(N, rpc_demo, sleep, [3000], 200) end, Rust, Erl),
    compare("rpc:call bad args", fun(N) -> rpc:call(N, rpc_demo, add, not_a_list) end, Rust, Erl),
    compare("spawn_request undef", fun(N) -> down_reason(N, nomod, nofun, [1]) end, Rust, Erl),
    compare("features_request", fun features/1, Rust, Erl);
run("rust", Rust, Erl) ->
    Me = node(),
    check("erlang:node/0", rpc:call(Rust, erlang, node, []), fun(X) -> X =:= Rust end),
    check("erlang:nodes/0", erpc:call(Rust, erlang, nodes, []),
          fun(X) -> lists:member(Me, X) end),
    check("erlang:processes/0", rpc:call(Rust, erlang, processes, []),
          fun(X) -> length(X) > 0 andalso lists:all(fun(P) -> node(P) =:= Rust end, X) end),
    check("erlang:registered/0", rpc:call(Rust, erlang, registered, []),
          fun(X) -> lists:member(rex, X) andalso lists:member(net_kernel, X) end),
    Rex = erpc:call(Rust, erlang, whereis, [rex]),
    check("erlang:whereis/1", Rex, fun(X) -> is_pid(X) andalso node(X) =:= Rust end),
    check("erlang:process_info/2 one item", rpc:call(Rust, erlang, process_info, [Rex, registered_name]),
          fun(X) -> X =:= {registered_name, rex} end),
    check("erlang:process_info/2 items",
          rpc:call(Rust, erlang, process_info, [Rex, [message_queue_len, trap_exit, links]]),
          fun([{message_queue_len, N}, {trap_exit, T}, {links, L}]) ->
                  is_integer(N) andalso is_boolean(T) andalso is_list(L);
             (_) -> false end),
    check("erlang:process_info/2 unknown item", rpc:call(Rust, erlang, process_info, [Rex, no_such_item]),
          fun(X) -> element(1, X) =:= badrpc end),
    check("erlang:memory/0", rpc:call(Rust, erlang, memory, []),
          fun(X) -> is_integer(proplists:get_value(total, X)) andalso proplists:get_value(total, X) > 0 end),
    check("application:which_applications/0", rpc:call(Rust, application, which_applications, []),
          fun(X) -> is_list(X) andalso lists:all(fun({A, D, V}) -> is_atom(A) andalso is_list(D) andalso is_list(V); (_) -> false end, X) end),
    check("erpc:multicall two nodes", erpc:multicall([Rust, Erl], rpc_demo, add, [1, 2]),
          fun(X) -> X =:= [{ok, 3}, {ok, 3}] end),
    check("rpc:multicall two nodes", rpc:multicall([Rust, Erl], rpc_demo, add, [1, 2]),
          fun(X) -> X =:= {[3, 3], []} end),
    check("rpc:multicall with a bad node",
          rpc:multicall([Rust, 'nobody@nowhere'], rpc_demo, add, [1, 2], 5000),
          fun(X) -> X =:= {[3], ['nobody@nowhere']} end),
    check("rpc:cast", rpc:cast(Rust, rpc_demo, notify, [self(), by_rpc]), fun(X) -> X =:= true end),
    got("rpc:cast arrives", ?GOT({notified, Rust, by_rpc})),
    check("erpc:cast", erpc:cast(Rust, rpc_demo, notify, [self(), by_erpc]), fun(X) -> X =:= ok end),
    got("erpc:cast arrives", ?GOT({notified, Rust, by_erpc})),
    erpc:multicast([Rust, Erl], rpc_demo, notify, [self(), multicast]),
    got("erpc:multicast arrives",
        ?GOT({notified, Rust, multicast}) andalso ?GOT({notified, Erl, multicast})),
    check("rex cast", gen_server:cast({rex, Rust}, {cast, rpc_demo, notify, [self(), by_rex], group_leader()}),
          fun(X) -> X =:= ok end),
    got("rex cast arrives", ?GOT({notified, Rust, by_rex})),
    check("erpc:call a panicking function",
          try erpc:call(Rust, rpc_demo, panic_it, [])
          catch error:{exception, {panic, Msg}, [{rpc_demo, panic_it, 0, []}]} -> {panic, Msg}
          end,
          fun(X) -> X =:= {panic, <<"boom">>} end),
    process_flag(trap_exit, true),
    ReqId = spawn_request(Rust, rpc_demo, echo_loop, [], [link, monitor]),
    Pid = receive {spawn_reply, ReqId, ok, P} -> P after 10000 -> timeout end,
    check("spawn_request link monitor", Pid, fun(X) -> node(X) =:= Rust end),
    Pid ! {self(), hello},
    got("spawned echoes", ?GOT({echo, hello})),
    check("spawned is linked", lists:member(Pid, element(2, process_info(self(), links))),
          fun(X) -> X end),
    Pid ! {die, boom},
    got("spawned DOWN", ?GOT({'DOWN', ReqId, process, Pid, boom})),
    got("spawned EXIT", ?GOT({'EXIT', Pid, boom})),
    {Pid2, MRef} = spawn_monitor(Rust, rpc_demo, echo_loop, []),
    Pid2 ! {self(), hi},
    got("spawn_monitor/4 echoes", ?GOT({echo, hi})),
    exit(Pid2, kill),
    got("spawn_monitor/4 DOWN", ?GOT({'DOWN', MRef, process, Pid2, killed})),
    Pid3 = spawn_link(Rust, rpc_demo, echo_loop, []),
    exit(Pid3, kill),
    got("spawn_link/4 EXIT", ?GOT({'EXIT', Pid3, killed})),
    ReqId4 = spawn_request(Rust, nomod, nofun, [], [link]),
    receive {spawn_reply, ReqId4, ok, Pid4} -> ok after 10000 -> Pid4 = timeout end,
    got("unknown spawn EXIT", ?GOT({'EXIT', Pid4, {undef, [{nomod, nofun, [], []}]}}));
run("revoke", Rust, _Erl) ->
    check("before revoke", rpc:call(Rust, rpc_demo, add, [1, 2]), fun(X) -> X =:= 3 end),
    say("REVOKE", []),
    receive go -> ok after 20000 -> say("BAD revoke no go", []) end,
    check("after revoke", rpc:call(Rust, rpc_demo, add, [1, 2]),
          fun(X) -> X =:= {badrpc, {'EXIT', {undef, [{rpc_demo, add, [1, 2], []}]}}} end),
    check("other arity kept", rpc:call(Rust, rpc_demo, echo, [x]), fun(X) -> X =:= x end).
