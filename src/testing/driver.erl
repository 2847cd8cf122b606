%% The driver an ErlNode runs: it reads requests on stdin, one per line
%% (`Id Kind Hex`, Hex the UTF-8 text of an expression or the path of a source file), and
%% answers each with one line `ERGO_REPLY Id Hex`, Hex the external term format of the answer:
%% {ok, Value} | {raised, Class, Reason, Stack} | {parse_error, Text} | {compile_error, Text}.
%% Bindings made by one expression are seen by the next. It halts when stdin closes.
-module(ergo_test_driver).
-export([main/0]).

main() ->
    ok = io:setopts(standard_io, [binary]),
    io:put_chars(standard_io, [<<"ERGO_READY ">>, atom_to_binary(node()), <<"\n">>]),
    loop(erl_eval:new_bindings()).

loop(Bindings) ->
    case io:get_line(standard_io, "") of
        eof -> halt(0);
        {error, _} -> halt(0);
        Line ->
            case binary:split(string:trim(Line), <<" ">>, [global]) of
                [Id, Kind, Hex] ->
                    Text = unicode:characters_to_list(binary:decode_hex(Hex)),
                    {Answer, Next} = handle(Kind, Text, Bindings),
                    Out = binary:encode_hex(term_to_binary(Answer)),
                    io:put_chars(standard_io, [<<"\nERGO_REPLY ">>, Id, <<" ">>, Out, <<"\n">>]),
                    loop(Next);
                _ ->
                    loop(Bindings)
            end
    end.

handle(<<"eval">>, Text, Bindings) ->
    case erl_scan:string(Text) of
        {ok, Tokens, _} ->
            case erl_parse:parse_exprs(Tokens) of
                {ok, Exprs} ->
                    try erl_eval:exprs(Exprs, Bindings) of
                        {value, Value, Next} -> {{ok, Value}, Next}
                    catch
                        Class:Reason:Stack -> {{raised, Class, Reason, Stack}, Bindings}
                    end;
                {error, Info} ->
                    {{parse_error, error_text(Info)}, Bindings}
            end;
        {error, Info, _} ->
            {{parse_error, error_text(Info)}, Bindings}
    end;
handle(<<"compile">>, Path, Bindings) ->
    Dir = filename:dirname(Path),
    Answer =
        case epp:parse_file(Path, [{includes, [Dir]}]) of
            {ok, Forms} ->
                case compile:forms(Forms, [binary, return_errors, return_warnings]) of
                    {ok, Module, Beam, _Warnings} ->
                        code:purge(Module),
                        {module, Module} = code:load_binary(Module, Path, Beam),
                        {ok, Module};
                    {error, Errors, _Warnings} ->
                        {compile_error, errors_text(Errors)}
                end;
            {error, Reason} ->
                {compile_error, unicode:characters_to_binary(io_lib:format("~p", [Reason]))}
        end,
    {Answer, Bindings};
handle(Kind, _Text, Bindings) ->
    {{parse_error, <<"unknown request ", Kind/binary>>}, Bindings}.

error_text({Location, Module, Description}) ->
    unicode:characters_to_binary(
        io_lib:format("~p: ~ts", [Location, Module:format_error(Description)])).

errors_text(Errors) ->
    Lines = [[error_text(E), <<"\n">>] || {_File, Es} <- Errors, E <- Es],
    iolist_to_binary(Lines).
