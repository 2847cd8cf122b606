%% An Erlang node outside the relay cluster: connects directly to relay member A (given as the
%% last plain argument), asks A's gateway process to call member C's echo server (which A reaches
%% only through the relay), and prints the answer.
-module(relay_erl_client).
-export([main/0]).

main() ->
    A = list_to_atom(lists:last(init:get_plain_arguments())),
    io:format("READY~n"),
    case net_kernel:connect_node(A) of
        true ->
            {relay_gateway, A} ! {self(), <<"from erlang through the relay">>},
            receive
                {reply, Reply} -> io:format("REPLY ~s~n", [Reply]);
                {error, Why} -> io:format("ERROR ~s~n", [Why])
            after 15000 -> io:format("TIMEOUT~n")
            end;
        false ->
            io:format("NOCONNECT~n")
    end,
    receive after infinity -> ok end.
