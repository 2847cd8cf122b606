#!/usr/bin/env escript
%% The erlang-to-rust benchmark's Erlang side: P caller processes on this node each doing
%% synchronous gen_server:call/2 for S seconds, first to `bench_echo` on the Rust node, then to
%% the same behaviour (bench_echo.erl) on a second Erlang node started here with `peer`.
%% Usage: erlang_to_rust.escript RustNode Cookie Pairs Secs SelfName PeerName
%% Prints one line in the format of benches/node.rs.
-mode(compile).

main([RustNodeS, CookieS, PairsS, SecsS, SelfS, PeerS]) ->
    {ok, _} = net_kernel:start([list_to_atom(SelfS), shortnames]),
    Cookie = list_to_atom(CookieS),
    erlang:set_cookie(node(), Cookie),
    Rust = list_to_atom(RustNodeS),
    Pairs = list_to_integer(PairsS),
    Secs = list_to_integer(SecsS),
    pong = net_adm:ping(Rust),
    Dir = filename:dirname(escript:script_name()),
    {ok, bench_echo, Bin} = compile:file(filename:join(Dir, "bench_echo.erl"), [binary]),
    {ok, Peer, PeerNode} = peer:start_link(#{name => list_to_atom(PeerS),
                                             args => ["-setcookie", CookieS]}),
    {module, bench_echo} = rpc:call(PeerNode, code, load_binary,
                                    [bench_echo, "bench_echo.erl", Bin]),
    {ok, _} = rpc:call(PeerNode, gen_server, start, [{local, bench_echo}, bench_echo, [], []]),
    {RustRate, RustP50, RustP99} = run(Pairs, Secs, {bench_echo, Rust}),
    {ErlRate, ErlP50, ErlP99} = run(Pairs, Secs, {bench_echo, PeerNode}),
    io:format("erlang-to-rust pairs=~p rust_calls_per_sec=~p rust_p50_us=~.2f rust_p99_us=~.2f "
              "erlang_calls_per_sec=~p erlang_p50_us=~.2f erlang_p99_us=~.2f ratio=~.2f~n",
              [Pairs, RustRate, RustP50, RustP99, ErlRate, ErlP50, ErlP99, RustRate / max(1, ErlRate)]),
    peer:stop(Peer).

run(Pairs, Secs, Server) ->
    Self = self(),
    Clients = [spawn(fun() -> client(Self, Server, 0, []) end) || _ <- lists:seq(1, Pairs)],
    T0 = erlang:monotonic_time(),
    timer:sleep(Secs * 1000),
    [C ! stop || C <- Clients],
    Results = [receive {done, N, Lat} -> {N, Lat} end || _ <- Clients],
    Elapsed = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, microsecond) / 1.0e6,
    Total = lists:sum([N || {N, _} <- Results]),
    Lats = lists:sort(lists:append([L || {_, L} <- Results])),
    Len = length(Lats),
    Pct = fun(F) -> lists:nth(max(1, min(Len, round(Len * F))), Lats) / 1000 end,
    {round(Total / Elapsed), Pct(0.5), Pct(0.99)}.

client(Parent, Server, N, Lat) ->
    receive stop -> Parent ! {done, N, Lat}
    after 0 ->
        case N rem 8 of
            0 ->
                T = erlang:monotonic_time(nanosecond),
                N = gen_server:call(Server, N),
                client(Parent, Server, N + 1, [erlang:monotonic_time(nanosecond) - T | Lat]);
            _ ->
                N = gen_server:call(Server, N),
                client(Parent, Server, N + 1, Lat)
        end
    end.
