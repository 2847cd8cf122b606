#!/usr/bin/env escript
%% Drives the Rust `echo` example from a real Erlang node, one case per run.
%% Usage: echo_client.escript SelfName EchoNode Cookie Case
%% Prints "PASS" and exits 0, or prints what went wrong and exits 1.
-mode(compile).

main([SelfName, EchoNodeS, CookieS, Case]) ->
    {ok, _} = net_kernel:start([list_to_atom(SelfName), shortnames]),
    erlang:set_cookie(node(), list_to_atom(CookieS)),
    Echo = list_to_atom(EchoNodeS),
    try run(list_to_atom(Case), Echo) of
        ok -> io:format("PASS~n"), halt(0)
    catch Class:Reason:Stack ->
        io:format("FAIL ~p:~p~n~p~n", [Class, Reason, Stack]), halt(1)
    end;
main(_) ->
    io:format("usage: echo_client.escript SelfName EchoNode Cookie Case~n"), halt(2).

echo_pid(Echo) ->
    {echo, hello, Pid} = gen_server:call({echo, Echo}, hello),
    true = is_pid(Pid),
    Echo = node(Pid),
    Pid.

expect(Pattern, Timeout) ->
    receive M ->
        case Pattern(M) of
            true -> M;
            false -> erlang:error({unexpected, M})
        end
    after Timeout -> erlang:error({timeout, waiting})
    end.

run(ping, Echo) ->
    pong = net_adm:ping(Echo),
    true = lists:member(Echo, nodes()),
    ok;
run(call, Echo) ->
    {echo, hello, Pid} = gen_server:call({echo, Echo}, hello),
    Echo = node(Pid),
    Term = {a, [1, 2.5, <<"b">>], #{k => v}},
    {echo, Term, Pid} = gen_server:call({echo, Echo}, Term),
    %% Elixir-style call with an explicit timeout through a pid.
    {echo, 42, Pid} = gen_server:call(Pid, 42, 5000),
    ok;
run(sys, Echo) ->
    {echo, hello, Pid} = gen_server:call({echo, Echo}, hello),
    %% The server's own view of its state (its format_state), as OTP's sys shows any server's.
    {echo_state, Calls} = sys:get_state({echo, Echo}),
    true = is_integer(Calls) andalso Calls >= 1,
    {status, Pid, {module, gen_server}, [_PDict, running, _Parent, [], Misc]} =
        sys:get_status({echo, Echo}),
    [{echo_state, Calls}] = [S || {data, Data} <- Misc, {"State", S} <- Data],
    ok;
run(sys_control, Echo) ->
    Pid = echo_pid(Echo),
    %% Suspended, the server answers system messages only: a call waits, in order, until resume.
    ok = sys:suspend(Pid),
    {status, Pid, _, [_, suspended, _, _, _]} = sys:get_status(Pid),
    Me = self(),
    Caller = spawn(fun() -> Me ! {answered, gen_server:call(Pid, late, 30000)} end),
    nothing = receive {answered, _} -> answered after 300 -> nothing end,
    ok = sys:resume(Pid),
    expect(fun(M) -> M =:= {answered, {echo, late, Pid}} end, 5000),
    false = is_process_alive(Caller),
    %% Traced: sys shows it in the status's debug list; untraced again with no_debug.
    ok = sys:trace(Pid, true),
    {status, Pid, _, [_, running, _, [{trace, true}], _]} = sys:get_status(Pid),
    {echo, traced, Pid} = gen_server:call(Pid, traced),
    ok = sys:no_debug(Pid),
    {status, Pid, _, [_, running, _, [], _]} = sys:get_status(Pid),
    %% What the server cannot do is refused, not pretended.
    {'EXIT', {{not_supported, _}, _}} = (catch sys:replace_state(Pid, fun(S) -> S end)),
    %% sys:terminate/2: ok, then the server stops with that reason.
    Ref = monitor(process, Pid),
    ok = sys:terminate(Pid, shutdown),
    expect(fun(M) -> M =:= {'DOWN', Ref, process, Pid, shutdown} end, 5000),
    ok;
run(bad_request, Echo) ->
    %% A typed server answers a request it cannot decode with a refusal (a call that got no
    %% reply would exit with timeout here), and a cast it cannot decode leaves it running with
    %% its state.
    0 = gen_server:call({store, Echo}, reset),
    5 = gen_server:call({store, Echo}, {incr, 5}),
    {error, {bad_request, {frobnicate, 1}}} = gen_server:call({store, Echo}, {frobnicate, 1}, 30000),
    {error, {bad_request, "k"}} = gen_server:call({store, Echo}, "k", 30000),
    ok = gen_server:cast({store, Echo}, {frobnicate, 2}),
    ok = gen_server:cast({store, Echo}, {incr, 2}),
    7 = gen_server:call({store, Echo}, get),
    ok;
run(cast, Echo) ->
    ok = gen_server:cast({echo, Echo}, {reply_to, self(), m1}),
    expect(fun(M) -> M =:= {echo, m1} end, 5000),
    ok;
run(noproc, Echo) ->
    pong = net_adm:ping(Echo),
    {'EXIT', {noproc, {gen_server, call, _}}} = (catch gen_server:call({no_such_name, Echo}, x, 5000)),
    ok;
run(send_name, Echo) ->
    pong = net_adm:ping(Echo),
    {echo, Echo} ! {self(), m2},
    expect(fun(M) -> M =:= {echo, m2} end, 5000),
    ok;
run(send_pid, Echo) ->
    Pid = echo_pid(Echo),
    Pid ! {self(), m3},
    expect(fun(M) -> M =:= {echo, m3} end, 5000),
    ok;
run(link_kill, Echo) ->
    Pid = echo_pid(Echo),
    process_flag(trap_exit, true),
    true = link(Pid),
    true = exit(Pid, kill),
    expect(fun(M) -> M =:= {'EXIT', Pid, killed} end, 5000),
    ok;
run(monitor, Echo) ->
    Pid = echo_pid(Echo),
    Ref = monitor(process, Pid),
    true = exit(Pid, kill),
    expect(fun(M) -> M =:= {'DOWN', Ref, process, Pid, killed} end, 5000),
    %% Monitoring what is already gone gives noproc.
    Ref2 = monitor(process, Pid),
    expect(fun(M) -> M =:= {'DOWN', Ref2, process, Pid, noproc} end, 5000),
    ok;
run(restart, Echo) ->
    %% echo runs under a one_for_one supervisor: killed, it is back within a second.
    Pid = echo_pid(Echo),
    Ref = monitor(process, Pid),
    true = exit(Pid, kill),
    expect(fun(M) -> M =:= {'DOWN', Ref, process, Pid, killed} end, 5000),
    Deadline = erlang:monotonic_time(millisecond) + 1000,
    New = wait_new_echo(Echo, Pid, Deadline),
    Echo = node(New),
    ok;
run(pg_member, Echo) ->
    %% The echo server is in group `echo` of pg scope `ergo`.
    {ok, _} = pg:start(ergo),
    Pid = echo_pid(Echo),
    Deadline = erlang:monotonic_time(millisecond) + 5000,
    wait_members(ergo, echo, [Pid], Deadline),
    ok;
run(nodedown, Echo) ->
    pong = net_adm:ping(Echo),
    true = monitor_node(Echo, true),
    %% Tell the test driver to stop the Rust node, then wait for nodedown.
    io:format("ARMED~n"),
    expect(fun(M) -> M =:= {nodedown, Echo} end, 15000),
    ok;
run(big_binaries, Echo) ->
    lists:foreach(
      fun(Size) ->
              Bin = crypto_free_bytes(Size),
              {echo, Bin, _} = gen_server:call({echo, Echo}, Bin, 30000)
      end, [1024 * 1024, 10 * 1024 * 1024]),
    ok;
run(atoms, Echo) ->
    Atoms = [list_to_atom("interop_atom_" ++ integer_to_list(N)) || N <- lists:seq(1, 3500)],
    {echo, Atoms, _} = gen_server:call({echo, Echo}, Atoms, 30000),
    %% And again, now that both atom caches are warm.
    {echo, Atoms, _} = gen_server:call({echo, Echo}, Atoms, 30000),
    ok;
run(ordered, Echo) ->
    Pid = echo_pid(Echo),
    N = 100000,
    Self = self(),
    lists:foreach(fun(I) -> Pid ! {Self, I} end, lists:seq(1, N)),
    receive_in_order(1, N),
    ok.

wait_members(Scope, Group, Expected, Deadline) ->
    case lists:sort(pg:get_members(Scope, Group)) of
        Expected -> ok;
        Other ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> erlang:error({members, Other, expected, Expected});
                false -> timer:sleep(10), wait_members(Scope, Group, Expected, Deadline)
            end
    end.

wait_new_echo(Echo, Old, Deadline) ->
    case catch gen_server:call({echo, Echo}, hello, 500) of
        {echo, hello, New} when New =/= Old -> New;
        Other ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> erlang:error({not_restarted_within_1s, Other});
                false -> timer:sleep(10), wait_new_echo(Echo, Old, Deadline)
            end
    end.

receive_in_order(I, N) when I > N -> ok;
receive_in_order(I, N) ->
    receive
        {echo, I} -> receive_in_order(I + 1, N);
        {echo, Other} -> erlang:error({out_of_order, expected, I, got, Other})
    after 30000 -> erlang:error({timeout_at, I})
    end.

%% Deterministic, incompressible-enough bytes without the crypto application.
crypto_free_bytes(Size) ->
    rand:seed(exsss, {1, 2, 3}),
    << <<(rand:uniform(256) - 1)>> || _ <- lists:seq(1, Size) >>.
