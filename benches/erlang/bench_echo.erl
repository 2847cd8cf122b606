%% The Erlang side's echo server for benches/erlang/erlang_to_rust.escript: a gen_server whose
%% call replies with the request, the same behaviour as the Rust `Echo` in benches/node.rs.
-module(bench_echo).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).

init([]) -> {ok, nostate}.
handle_call(Req, _From, State) -> {reply, Req, State}.
handle_cast(_Req, State) -> {noreply, State}.
