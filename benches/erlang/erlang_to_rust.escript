#!/usr/bin/env escript
%% The Erlang side of the erlang-to-rust benchmarks: P caller processes on this node each doing
%% synchronous requests for S seconds, first to the Rust node, then to the same thing on a second
%% Erlang node started here with `peer` (bench_echo.erl). Mode `call`: gen_server:call/2 to
%% `bench_echo`; mode `erpc`: erpc:call(Node, bench_echo, echo, [N]).
%% Usage: erlang_to_rust.escript RustNode Cookie Pairs Secs SelfName PeerName Mode Rounds
%% The two servers take turns for Secs seconds each, Rounds times; each
%% round goes to standard error, and one line in the format of benches/node.rs with the medians
%% to standard output, with the CPU time per call of each server and of this caller node in each
%% phase, user and system time from /proc (the Rust node reports its own through
%% `bench_echo:cpu_us/0`).
-mode(compile).

main([RustNodeS, CookieS, PairsS, SecsS, SelfS, PeerS, ModeS, RoundsS]) ->
    {ok, _} = net_kernel:start([list_to_atom(SelfS), shortnames]),
    Cookie = list_to_atom(CookieS),
    erlang:set_cookie(node(), Cookie),
    Rust = list_to_atom(RustNodeS),
    Pairs = list_to_integer(PairsS),
    Secs = list_to_integer(SecsS),
    pong = net_adm:ping(Rust),
    Dir = filename:dirname(escript:script_name()),
    {ok, bench_echo, Bin} = compile:file(filename:join(Dir, "bench_echo.erl"), [binary]),
    %% The Erlang server node runs with its defaults, as the Rust one does (ERGO_BENCH_ERL_ARGS,
    %% passed as extra arguments, can change that, e.g. "+S 1:1").
    ExtraArgs = string:lexemes(os:getenv("ERGO_BENCH_ERL_ARGS", ""), " "),
    {ok, Peer, PeerNode} = peer:start_link(#{name => list_to_atom(PeerS),
                                             args => ["-setcookie", CookieS | ExtraArgs]}),
    {module, bench_echo} = rpc:call(PeerNode, code, load_binary,
                                    [bench_echo, "bench_echo.erl", Bin]),
    {ok, _} = rpc:call(PeerNode, gen_server, start, [{local, bench_echo}, bench_echo, [], []]),
    {Label, Op} = case ModeS of
        "call" -> {"erlang-to-rust", fun(Node, N) -> gen_server:call({bench_echo, Node}, N) end};
        "erpc" -> {"rpc-erlang-to-rust", fun(Node, N) -> erpc:call(Node, bench_echo, echo, [N]) end}
    end,
    %% The two servers take turns, Rounds times, so a change in the host's load during the run
    %% falls on both alike; the figures printed are the medians of the rounds.
    Rounds = list_to_integer(RoundsS),
    %% The Erlang server's CPU time per call over the Rust server's: the ratio the calls/s would
    %% show if the servers bounded them (callers on cores of their own). Here the caller node
    %% shares the cores with the server, and its own cost, about the same in both phases, is in
    %% both phases' time per call.
    ServerCpuRatio = fun({R, E}) -> element(5, E) / max(0.1, element(5, R)) end,
    RustCpu = fun() -> erpc:call(Rust, bench_echo, cpu_us, []) end,
    ErlCpu = fun() -> proc_cpu_us(erpc:call(PeerNode, file, read_file, ["/proc/self/stat"])) end,
    Results = [begin
                   R = run(Pairs, Secs, fun(N) -> Op(Rust, N) end, RustCpu),
                   E = run(Pairs, Secs, fun(N) -> Op(PeerNode, N) end, ErlCpu),
                   io:format(standard_error, "~s round=~p rust_calls_per_sec=~p "
                             "erlang_calls_per_sec=~p ratio=~.2f cpu_us_per_call: "
                             "rust_server=~.1f erlang_server=~.1f caller=~.1f/~.1f "
                             "server_cpu_ratio=~.2f~n",
                             [Label, Round, element(1, R), element(1, E),
                              element(1, R) / max(1, element(1, E)),
                              element(5, R), element(5, E), element(4, R), element(4, E),
                              ServerCpuRatio({R, E})]),
                   {R, E}
               end || Round <- lists:seq(1, Rounds)],
    Median = fun(L) -> median(lists:sort(L)) end,
    Field = fun(Side, I) -> Median([element(I, element(Side, X)) || X <- Results]) end,
    Ratios = [element(1, R) / max(1, element(1, E)) || {R, E} <- Results],
    io:format("~s pairs=~p rounds=~p rust_calls_per_sec=~p rust_p50_us=~.2f rust_p99_us=~.2f "
              "erlang_calls_per_sec=~p erlang_p50_us=~.2f erlang_p99_us=~.2f ratio=~.2f "
              "round_ratios=~s rust_server_cpu_us_per_call=~.1f "
              "erlang_server_cpu_us_per_call=~.1f caller_cpu_us_per_call=~.1f/~.1f "
              "server_cpu_ratio=~.2f~n",
              [Label, Pairs, Rounds, round(Field(1, 1)), Field(1, 2), Field(1, 3),
               round(Field(2, 1)), Field(2, 2), Field(2, 3), Median(Ratios),
               string:join([io_lib:format("~.2f", [X]) || X <- Ratios], ","),
               Field(1, 5), Field(2, 5), Field(1, 4), Field(2, 4),
               Median([ServerCpuRatio(X) || X <- Results])]),
    peer:stop(Peer).

%% One phase: {calls/s, p50 us, p99 us, this (caller) node's CPU us per call, the server's CPU us
%% per call}; ServerCpu() gives the server's CPU time so far in microseconds.
run(Pairs, Secs, Op, ServerCpu) ->
    Self = self(),
    CallerUs0 = own_cpu_us(),
    ServerUs0 = ServerCpu(),
    Clients = [spawn(fun() -> client(Self, Op, 0, []) end) || _ <- lists:seq(1, Pairs)],
    T0 = erlang:monotonic_time(),
    timer:sleep(Secs * 1000),
    [C ! stop || C <- Clients],
    Results = [receive {done, N, Lat} -> {N, Lat} end || _ <- Clients],
    Elapsed = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, microsecond) / 1.0e6,
    ServerUs = ServerCpu() - ServerUs0,
    CallerUs = own_cpu_us() - CallerUs0,
    Total = lists:sum([N || {N, _} <- Results]),
    PerCall = fun(Us) -> Us / max(1, Total) end,
    Lats = lists:sort(lists:append([L || {_, L} <- Results])),
    Len = length(Lats),
    Pct = fun(F) -> lists:nth(max(1, min(Len, round(Len * F))), Lats) / 1000 end,
    {round(Total / Elapsed), Pct(0.5), Pct(0.99), PerCall(CallerUs),
     PerCall(ServerUs)}.

%% The median of a sorted list (the mean of the middle two for an even count), as benches/node.rs
%% takes it.
median(Sorted) ->
    N = length(Sorted),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, Sorted);
        0 -> (lists:nth(N div 2, Sorted) + lists:nth(N div 2 + 1, Sorted)) / 2
    end.

%% This node's CPU time (all threads, user and system) in microseconds.
own_cpu_us() -> proc_cpu_us(file:read_file("/proc/self/stat")).

%% utime + stime from the contents of a /proc/<pid>/stat (clock ticks of 10 ms: USER_HZ is 100).
%% (`statistics(runtime)` leaves out the time in the kernel, which is much of a server's here.)
proc_cpu_us({ok, Stat}) ->
    [_, After] = string:split(Stat, <<")">>, trailing),
    Fields = string:lexemes(After, " "),
    (binary_to_integer(lists:nth(12, Fields)) + binary_to_integer(lists:nth(13, Fields))) * 10000.

client(Parent, Op, N, Lat) ->
    receive stop -> Parent ! {done, N, Lat}
    after 0 ->
        case N rem 8 of
            0 ->
                T = erlang:monotonic_time(nanosecond),
                N = Op(N),
                client(Parent, Op, N + 1, [erlang:monotonic_time(nanosecond) - T | Lat]);
            _ ->
                N = Op(N),
                client(Parent, Op, N + 1, Lat)
        end
    end.
