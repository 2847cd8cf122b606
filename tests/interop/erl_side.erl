%% The Erlang side of tests/interop/rust_erlang.rs: a real `erl` node that a Rust node drives.
%%
%% Started by the test as
%%   erl -sname Name -setcookie Cookie -noshell -eval <compile this file, load it, main()>
%%       -extra ThisFile Mode [RustNode]
%% Mode `serve` only serves; mode `ping` also pings RustNode once everything is registered and
%% prints `PING pong|pang` and `NODES [..]`.
%%
%% Registers:
%%   erl_echo  (a gen_server): a call with request R replies {echo, R, self()}, except for:
%%     nodes                       -> nodes()
%%     {ping, Node}                -> net_adm:ping(Node)
%%     spawn_victim                -> the pid of a fresh, unlinked victim process (see victim/0)
%%     {spawn_victim, Name}        -> the same, registered as Name
%%     {links_of, Pid}             -> Pid's links ([] when it is gone)
%%     {kill, Pid, Reason}         -> exit(Pid, Reason), ok
%%     {start_sink, N, ReportTo}   -> the pid of a process that expects {seq, 1..N} in order and
%%                                    then sends {sink_done, N} (or {sink_error, ..}) to ReportTo
%%     {send_seq, To, N}           -> ok; a new process sends {seq, 1..N} to To, then {seq_done, N}
%%     {echo_each, To, Msgs}       -> ok; each of Msgs is sent to To as {each, M}
%%     hang                        -> never replies (prints HANGING first)
%%     {reply_after, Ms}           -> replies `late` after Ms, then sends late_reply_sent to the
%%                                    caller's pid (so a test knows when a late reply would be in)
%%     {monitored_by, Pid}         -> who monitors Pid ([] when it is gone)
%%     spawn_server                -> the pid of a fresh, unregistered server of this module
%%     crash                       -> the server stops with reason `crashed`
%%     alias_receiver              -> {Alias, Pid} of a process reached through Alias (see
%%                                    alias_receiver/2)
%%   and a cast {reply_to, Pid, M} sends {cast_echo, M} to Pid.
%%     relay_pid                   -> the pid of erl_relay
%%   erl_relay (a plain process): {From, M} -> From ! {relayed, M}.
%%
%% Prints READY once registered. Halts when stdin closes (the test is gone) or after 10 minutes.
-module(erl_side).
-behaviour(gen_server).

-export([main/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

main() ->
    [_Self, Mode | Rest] = init:get_plain_arguments(),
    spawn(fun() -> receive after 600000 -> halt(3) end end),
    spawn(fun stdin_watch/0),
    {ok, _} = gen_server:start({local, erl_echo}, ?MODULE, [], []),
    Relay = spawn(fun relay/0),
    true = register(erl_relay, Relay),
    say("READY ~s", [node()]),
    case {Mode, Rest} of
        {"serve", []} ->
            ok;
        {"ping", [RustNode]} ->
            Result = net_adm:ping(list_to_atom(RustNode)),
            say("PING ~p", [Result]),
            say("NODES ~w", [nodes()])
    end.

say(Format, Args) ->
    io:format(Format ++ "~n", Args).

stdin_watch() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(0);
        _ -> stdin_watch()
    end.

relay() ->
    receive
        {From, M} when is_pid(From) -> From ! {relayed, M};
        _ -> ok
    end,
    relay().

%% Exits with Reason on {die, Reason}; answers {ping, From} with {pong, self()}.
victim() ->
    receive
        {die, Reason} -> exit(Reason);
        {ping, From} -> From ! {pong, self()}, victim();
        _ -> victim()
    end.

sink(I, N, ReportTo) when I > N ->
    ReportTo ! {sink_done, N};
sink(I, N, ReportTo) ->
    receive
        {seq, I} -> sink(I + 1, N, ReportTo);
        Other -> ReportTo ! {sink_error, {expected, I}, {got, Other}}
    after 60000 ->
        ReportTo ! {sink_error, {expected, I}, timeout}
    end.

%% Answers {From, M} that came through its alias with {via_alias, M}; on {From, unalias} it
%% deactivates the alias and answers unaliased; {From, check} (sent to its pid) is answered with
%% {checked, Messages}: what reached it meanwhile.
alias_receiver(Alias, Got) ->
    receive
        {From, unalias} ->
            unalias(Alias),
            From ! unaliased,
            alias_receiver(Alias, Got);
        {From, check} ->
            From ! {checked, lists:reverse(Got)},
            alias_receiver(Alias, []);
        {From, M} ->
            From ! {via_alias, M},
            alias_receiver(Alias, [M | Got])
    end.

send_seq(To, N) ->
    lists:foreach(fun(I) -> To ! {seq, I} end, lists:seq(1, N)),
    To ! {seq_done, N}.

init([]) ->
    {ok, no_state}.

handle_call(nodes, _From, S) ->
    {reply, nodes(), S};
handle_call({ping, Node}, _From, S) ->
    {reply, net_adm:ping(Node), S};
handle_call(spawn_victim, _From, S) ->
    {reply, spawn(fun victim/0), S};
handle_call({spawn_victim, Name}, _From, S) ->
    Pid = spawn(fun victim/0),
    true = register(Name, Pid),
    {reply, Pid, S};
handle_call({links_of, Pid}, _From, S) ->
    case process_info(Pid, links) of
        {links, Links} -> {reply, Links, S};
        undefined -> {reply, [], S}
    end;
handle_call({kill, Pid, Reason}, _From, S) ->
    exit(Pid, Reason),
    {reply, ok, S};
handle_call({start_sink, N, ReportTo}, _From, S) ->
    {reply, spawn(fun() -> sink(1, N, ReportTo) end), S};
handle_call({send_seq, To, N}, _From, S) ->
    spawn(fun() -> send_seq(To, N) end),
    {reply, ok, S};
handle_call({echo_each, To, Msgs}, _From, S) ->
    lists:foreach(fun(M) -> To ! {each, M} end, Msgs),
    {reply, ok, S};
handle_call(hang, _From, S) ->
    say("HANGING", []),
    {noreply, S};
handle_call({reply_after, Ms}, From, S) ->
    erlang:send_after(Ms, self(), {late_reply, From}),
    {noreply, S};
handle_call({monitored_by, Pid}, _From, S) ->
    case process_info(Pid, monitored_by) of
        {monitored_by, Watchers} -> {reply, Watchers, S};
        undefined -> {reply, [], S}
    end;
handle_call(spawn_server, _From, S) ->
    {ok, Pid} = gen_server:start(?MODULE, [], []),
    {reply, Pid, S};
handle_call(crash, _From, S) ->
    {stop, crashed, S};
handle_call(alias_receiver, _From, S) ->
    Self = self(),
    Pid = spawn(fun() ->
                        Alias = alias(),
                        Self ! {alias, self(), Alias},
                        alias_receiver(Alias, [])
                end),
    receive
        {alias, Pid, Alias} -> {reply, {Alias, Pid}, S}
    after 5000 -> {reply, no_alias, S}
    end;
handle_call(relay_pid, _From, S) ->
    {reply, whereis(erl_relay), S};
handle_call(Request, _From, S) ->
    {reply, {echo, Request, self()}, S}.

handle_cast({reply_to, Pid, M}, S) ->
    Pid ! {cast_echo, M},
    {noreply, S};
handle_cast(_Msg, S) ->
    {noreply, S}.

handle_info({late_reply, {Pid, _} = From}, S) ->
    gen_server:reply(From, late),
    Pid ! late_reply_sent,
    {noreply, S};
handle_info(_Msg, S) ->
    {noreply, S}.
