%% Drives three `raft` example nodes from a real Erlang node: waits until they agree on a
%% leader and 3 members, puts from every node and reads everywhere, then asks the test to kill
%% the leader's OS process (prints `KILL Node`; the test restarts it on its file log), keeps
%% writing, checks that the survivors elect a new leader and still hold every acknowledged put,
%% and that the restarted node comes back with all of them. Prints PASS or FAIL: Reason.
-module(raft_driver).
-export([main/0]).

main() ->
    Args = init:get_plain_arguments(),
    Nodes = [list_to_atom(N) || N <- Args, not lists:suffix(".erl", N)],
    try run(Nodes) of
        ok -> io:format("PASS~n")
    catch
        Class:Reason:Stack ->
            io:format("FAIL: ~p:~p ~p~n", [Class, Reason, Stack])
    end,
    halt(0).

call(Node, Request) ->
    gen_server:call({kv, Node}, Request, 15000).

%% Polls Fun until it returns {true, V}, for at most Ms milliseconds.
until(What, _Fun, Ms) when Ms =< 0 -> error({timeout, What});
until(What, Fun, Ms) ->
    case catch Fun() of
        {true, V} -> V;
        _ -> timer:sleep(100), until(What, Fun, Ms - 100)
    end.

agreed_leader(Nodes) ->
    until(leader, fun() ->
        Leaders = [call(N, leader) || N <- Nodes],
        Members = [lists:sort(call(N, members)) || N <- Nodes],
        case {lists:usort(Leaders), lists:usort(Members)} of
            {[{L, T}], [Ms]} when is_atom(L), is_integer(T), length(Ms) =:= length(Nodes) ->
                {true, {L, T}};
            _ -> false
        end
    end, 30000).

run(Nodes) ->
    [pong = net_adm:ping(N) || N <- Nodes],
    io:format("READY~n"),
    {Leader, Term} = agreed_leader(Nodes),
    true = lists:member(Leader, Nodes),
    Sorted = lists:sort(Nodes),
    Sorted = lists:sort(call(hd(Nodes), members)),
    %% A put from every node, read back from every node.
    Puts = [{N, {ok, _} = call(N, {put, {key, N}, {value, N}})} || N <- Nodes],
    Serials = [S || {_, {ok, S}} <- Puts],
    true = length(lists:usort(Serials)) =:= length(Nodes),
    [{ok, {value, N}} = call(M, {get, {key, N}}) || N <- Nodes, M <- Nodes],
    not_found = call(hd(Nodes), {get, nothing_here}),
    %% The leader's OS process is killed; writes go on through the survivors.
    io:format("KILL ~s~n", [Leader]),
    Survivors = Nodes -- [Leader],
    %% A leader again: a survivor in a later term, or the killed node itself, restarted at once
    %% on its log, which may take its leadership back in its own term.
    {_NewLeader, NewTerm} = agreed_survivors(Survivors, Term),
    true = NewTerm >= Term,
    [{ok, _} = until(put_after_kill, fun() ->
        case call(N, {put, after_kill, N}) of {ok, S} -> {true, {ok, S}}; E -> E end
     end, 30000) || N <- Survivors],
    [{ok, {value, N}} = call(M, {get, {key, N}}) || N <- Nodes, M <- Survivors],
    %% The killed node, restarted on its log, serves every put again and is a member.
    until(restarted, fun() ->
        pong = net_adm:ping(Leader),
        [{ok, {value, N}} = call(Leader, {get, {key, N}}) || N <- Nodes],
        {ok, _} = call(Leader, {get, after_kill}),
        {true, ok}
    end, 25000),
    Sorted = lists:sort(call(Leader, members)),
    ok.

agreed_survivors(Survivors, OldTerm) ->
    until(new_leader, fun() ->
        case lists:usort([call(N, leader) || N <- Survivors]) of
            [{L, T}] when T >= OldTerm, is_atom(L) -> {true, {L, T}};
            _ -> false
        end
    end, 25000).
