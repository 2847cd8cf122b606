%% The Erlang side of tests/interop/global.rs: a real node with a gen_server `global_ctl` the
%% Rust test drives:
%%   sync                  -> {ok, Ms} when global:sync() returned within 5 s, else timeout
%%   {register, Name}      -> {Answer, Pid}: a new idle process and global:register_name's answer
%%   {whereis, Name}       -> global:whereis_name(Name)
%%   {send, Name, Msg}     -> global:send(Name, Msg)'s pid, or {badarg, ...} caught
%%   {kill, Pid}           -> ok, after exit(Pid, kill)
%%   {alive, Pid}          -> is_process_alive(Pid)
%%   {connect, Node}       -> net_kernel:connect_node(Node)
%%   nodes                 -> lists:sort(nodes())
%%   synced                -> lists:sort of global's synced list
%%   names                 -> lists:sort(global:registered_names())
%% Started as erl ... -eval <compile this file, load it, main()> -extra ThisFile.
%% Prints READY; halts when stdin closes (the test is gone) or after 10 minutes.
-module(global_side).
-behaviour(gen_server).
-export([main/0]).
-export([init/1, handle_call/3, handle_cast/2]).

main() ->
    {ok, _} = gen_server:start({local, global_ctl}, ?MODULE, [], []),
    io:format("READY~n"),
    spawn(fun() -> io:get_line(""), halt() end),
    timer:sleep(600000),
    halt().

init([]) -> {ok, nostate}.

handle_call(sync, _From, S) ->
    Self = self(),
    T0 = erlang:monotonic_time(millisecond),
    P = spawn(fun() -> Self ! {synced, self(), global:sync()} end),
    Reply = receive
                {synced, P, ok} -> {ok, erlang:monotonic_time(millisecond) - T0}
            after 5000 ->
                exit(P, kill),
                timeout
            end,
    {reply, Reply, S};
handle_call({register, Name}, _From, S) ->
    Pid = spawn(fun() -> receive stop -> ok end end),
    {reply, {global:register_name(Name, Pid), Pid}, S};
handle_call({whereis, Name}, _From, S) ->
    {reply, global:whereis_name(Name), S};
handle_call({send, Name, Msg}, _From, S) ->
    {reply, catch global:send(Name, Msg), S};
handle_call({kill, Pid}, _From, S) ->
    exit(Pid, kill),
    {reply, ok, S};
handle_call({alive, Pid}, _From, S) ->
    {reply, is_process_alive(Pid), S};
handle_call({connect, Node}, _From, S) ->
    {reply, net_kernel:connect_node(Node), S};
handle_call(nodes, _From, S) ->
    {reply, lists:sort(nodes()), S};
handle_call(synced, _From, S) ->
    {reply, lists:sort(gen_server:call(global_name_server, get_synced)), S};
handle_call(names, _From, S) ->
    {reply, lists:sort(global:registered_names()), S}.

handle_cast(_, S) -> {noreply, S}.
