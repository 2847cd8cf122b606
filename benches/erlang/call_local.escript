#!/usr/bin/env escript
%% The call-local benchmark shape on BEAM: P client/server pairs, each client doing synchronous
%% gen_server:call/2 to its own server for S seconds. Prints the same line as benches/node.rs.
%% Usage: escript benches/erlang/call_local.escript [Pairs] [Secs]
-mode(compile).
-export([init/1, handle_call/3, handle_cast/2]).

main(Args) ->
    {Pairs, Secs} = case Args of
        [P, S] -> {list_to_integer(P), list_to_integer(S)};
        [P] -> {list_to_integer(P), 5};
        [] -> {30, 5}
    end,
    Self = self(),
    Servers = [begin {ok, Pid} = gen_server:start(?MODULE, [], []), Pid end || _ <- lists:seq(1, Pairs)],
    Clients = [spawn(fun() -> client(Self, Srv, 0, []) end) || Srv <- Servers],
    T0 = erlang:monotonic_time(),
    timer:sleep(Secs * 1000),
    [C ! stop || C <- Clients],
    Results = [receive {done, N, Lat} -> {N, Lat} end || _ <- Clients],
    Elapsed = erlang:convert_time_unit(erlang:monotonic_time() - T0, native, microsecond) / 1.0e6,
    Total = lists:sum([N || {N, _} <- Results]),
    Lats = lists:sort(lists:append([L || {_, L} <- Results])),
    Len = length(Lats),
    Pct = fun(F) -> lists:nth(max(1, min(Len, round(Len * F))), Lats) / 1000 end,
    io:format("call-local-erlang pairs=~p calls_per_sec=~p p50_us=~.2f p99_us=~.2f~n",
              [Pairs, round(Total / Elapsed), Pct(0.5), Pct(0.99)]).

client(Parent, Srv, N, Lat) ->
    receive stop -> Parent ! {done, N, Lat}
    after 0 ->
        case N rem 8 of
            0 ->
                T = erlang:monotonic_time(nanosecond),
                N = gen_server:call(Srv, N),
                client(Parent, Srv, N + 1, [erlang:monotonic_time(nanosecond) - T | Lat]);
            _ ->
                N = gen_server:call(Srv, N),
                client(Parent, Srv, N + 1, Lat)
        end
    end.

init([]) -> {ok, nostate}.
handle_call(Req, _From, State) -> {reply, Req, State}.
handle_cast(_Req, State) -> {noreply, State}.
