%% The Erlang side of tests/examples/gateway.rs: registers `calc`, a gen_server answering
%% {add, A, B} with A + B and anything else with {unknown, Req}, connects to the gateway node
%% given as the plain argument, prints READY, and halts when stdin closes.
-module(gateway_peer).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2]).

main() ->
    [_File, Gateway] = init:get_plain_arguments(),
    {ok, _} = gen_server:start({local, calc}, ?MODULE, [], []),
    pong = net_adm:ping(list_to_atom(Gateway)),
    io:format("READY~n"),
    io:get_line(""),
    halt().

init([]) -> {ok, nostate}.

handle_call({add, A, B}, _From, S) -> {reply, A + B, S};
handle_call(Req, _From, S) -> {reply, {unknown, Req}, S}.

handle_cast(_Msg, S) -> {noreply, S}.
