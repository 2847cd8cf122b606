%% The Erlang side of tests/interop/pg.rs: a real node with the pg scope `ergo_pg` and a
%% gen_server `pg_ctl` the Rust test drives:
%%   {join, Group}        -> Pid of a new member process that joined Group
%%   {leave, Group, Pid}  -> pg:leave/3's result
%%   {members, Group}     -> lists:sort(pg:get_members(ergo_pg, Group))
%%   {kill, Pid}          -> ok, after exit(Pid, kill)
%%   {connect, Node}      -> net_kernel:connect_node(Node)
%% Started as erl ... -eval <compile this file, load it, main()> -extra ThisFile.
%% Prints READY; halts when stdin closes (the test is gone) or after 10 minutes.
-module(pg_side).
-behaviour(gen_server).
-export([main/0]).
-export([init/1, handle_call/3, handle_cast/2]).

main() ->
    {ok, _} = pg:start(ergo_pg),
    {ok, _} = gen_server:start({local, pg_ctl}, ?MODULE, [], []),
    io:format("READY~n"),
    spawn(fun() -> io:get_line(""), halt() end),
    timer:sleep(600000),
    halt().

init([]) -> {ok, nostate}.

handle_call({join, Group}, _From, S) ->
    Pid = spawn(fun() -> receive stop -> ok end end),
    ok = pg:join(ergo_pg, Group, Pid),
    {reply, Pid, S};
handle_call({leave, Group, Pid}, _From, S) ->
    {reply, pg:leave(ergo_pg, Group, Pid), S};
handle_call({members, Group}, _From, S) ->
    {reply, lists:sort(pg:get_members(ergo_pg, Group)), S};
handle_call({kill, Pid}, _From, S) ->
    exit(Pid, kill),
    {reply, ok, S};
handle_call({connect, Node}, _From, S) ->
    {reply, net_kernel:connect_node(Node), S}.

handle_cast(_, S) -> {noreply, S}.
