%% The Erlang side's echo server for benches/erlang/erlang_to_rust.escript: a gen_server whose
%% call replies with the request, the same behaviour as the Rust `Echo` in benches/node.rs; and
%% echo/1, the function the rpc benchmark calls (the Rust node provides bench_echo:echo/1 too).
-module(bench_echo).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2, echo/1]).

echo(X) -> X.

init([]) -> {ok, nostate}.
handle_call(Req, _From, State) -> {reply, Req, State}.
handle_cast(_Req, State) -> {noreply, State}.
