#!/usr/bin/env escript
%% Writes the golden corpus for tests/etf_golden.rs into the directory given as the first
%% argument: for every case Name, `Name.v1.bin` (OTP's default term_to_binary, Latin-1 atoms),
%% `Name.v2.bin` ({minor_version, 2}: UTF-8 atoms, what the distribution sends) and, for some,
%% `Name.z.bin` (compressed). Hand-written legacy encodings are `legacy_*.raw.bin`.
%% The second argument is a node name: the script starts distribution so that pids, refs,
%% ports and funs come from a live node.
-mode(compile).

main([Dir, NodeName]) ->
    {ok, _} = net_kernel:start([list_to_atom(NodeName), shortnames]),
    Node = node(),
    Y = 42,
    Fun0 = fun() -> ok end,
    Fun2 = fun(A) -> {A, Y, Node} end,
    Port = hd(erlang:ports()),
    Big = maps:from_list([{K, K * 2} || K <- lists:seq(1, 100)]),
    Cases = [
        {small_int, 7}, {zero, 0}, {int_255, 255}, {int_256, 256}, {neg_one, -1},
        {int32_max, 2147483647}, {int32_min, -2147483648}, {int_2_31, 2147483648},
        {i64_max, 9223372036854775807}, {i64_min, -9223372036854775808},
        {two_64, 1 bsl 64}, {neg_two_64, -(1 bsl 64)}, {two_1000, 1 bsl 1000},
        {neg_two_1000, -(1 bsl 1000)}, {two_2100, 1 bsl 2100},
        {float, 3.14159}, {neg_zero, -0.0}, {pos_zero, 0.0}, {float_big, 1.7976931348623157e308},
        {float_tiny, 5.0e-324},
        {atom, hello}, {empty_atom, ''}, {latin1_atom, 'ö'}, {atom_true, true},
        {unicode_atom_255, list_to_atom(lists:duplicate(255, 16#1F600))},
        {latin1_atom_255, list_to_atom(lists:duplicate(255, $ö))},
        {ascii_atom_255, list_to_atom(lists:duplicate(255, $a))},
        {nil, []}, {string, "hello"}, {string_bytes, lists:seq(0, 255)},
        {string_65535, lists:duplicate(65535, $x)}, {string_65536, lists:duplicate(65536, $x)},
        {list_mixed, [1, a, 2.5, <<"b">>]}, {list_big_ints, [256, 1000]},
        {improper, [1 | 2]}, {improper_atoms, [a, b | c]}, {improper_bytes, [1, 2 | <<"t">>]},
        {nested_list, [[1, [2, [3, []]]], "x"]},
        {tuple0, {}}, {tuple, {1, two, "three"}}, {tuple_256, list_to_tuple(lists:seq(1, 256))},
        {gen_call, {'$gen_call', {self(), make_ref()}, {incr, 5}}},
        {map_empty, #{}}, {map_small, #{a => 1, b => [2], <<"c">> => #{d => 4.0}}},
        {map_nested, #{k => #{k => #{k => #{}}}}}, {map_mixed_keys, #{1 => a, 1.0 => b, x => c, "s" => d, {t} => e}},
        {map_32, maps:from_list([{K, K} || K <- lists:seq(1, 32)])},
        {map_33_hash_order, maps:from_list([{K, K} || K <- lists:seq(1, 33)])},
        {map_100_hash_order, Big},
        {binary_empty, <<>>}, {binary, <<1, 2, 3>>}, {binary_1mb, binary:copy(<<"0123456789abcdef">>, 65536)},
        {bits_1, <<1:1>>}, {bits_3, <<5:3>>}, {bits_15, <<16#7fff:15>>}, {bits_7, <<127:7>>},
        {pid, self()}, {ref, make_ref()}, {port, Port},
        {alias, alias()},
        {fun0, Fun0}, {fun_free_vars, Fun2}, {export, fun lists:map/2},
        {export_unicode, fun 'mödule':'fünction'/255},
        {deep_tuple, lists:foldl(fun(_, Acc) -> {Acc} end, nil, lists:seq(1, 500))},
        {all_in_one, {[self(), make_ref(), Port], #{pid => self()}, [1 | Fun2], <<9:4>>}}
    ],
    lists:foreach(
        fun({Name, T}) ->
            N = atom_to_list(Name),
            ok = file:write_file(filename:join(Dir, N ++ ".v1.bin"), term_to_binary(T)),
            ok = file:write_file(filename:join(Dir, N ++ ".v2.bin"), term_to_binary(T, [{minor_version, 2}])),
            ok = file:write_file(filename:join(Dir, N ++ ".z.bin"), term_to_binary(T, [{compressed, 6}]))
        end, Cases),
    NodeBin = atom_to_binary(Node, latin1),
    NodeLen = byte_size(NodeBin),
    Float = list_to_binary(io_lib:format("~.20e", [1.5])),
    FloatPad = binary:copy(<<0>>, 31 - byte_size(Float)),
    Legacy = [
        {legacy_atom_ext, <<131, 100, 0, 3, "abc">>},
        {legacy_small_atom_ext, <<131, 115, 2, "ok">>},
        {legacy_small_atom_latin1, <<131, 115, 1, 246>>},
        {legacy_atom_utf8_long, <<131, 118, 0, 2, "ok">>},
        {legacy_pid_ext, <<131, 103, 100, NodeLen:16, NodeBin/binary, 38:32, 0:32, 2>>},
        {legacy_reference_ext, <<131, 101, 100, NodeLen:16, NodeBin/binary, 17:32, 2>>},
        {legacy_new_reference_ext, <<131, 114, 3:16, 100, NodeLen:16, NodeBin/binary, 2, 1:32, 2:32, 3:32>>},
        {legacy_port_ext, <<131, 102, 100, NodeLen:16, NodeBin/binary, 5:32, 2>>},
        {legacy_v4_port_ext, <<131, 120, 119, NodeLen, NodeBin/binary, 5:64, 7:32>>},
        {legacy_v4_port_ext_big, <<131, 120, 119, NodeLen, NodeBin/binary, (1 bsl 40):64, 7:32>>},
        {legacy_float_ext, <<131, 99, Float/binary, FloatPad/binary>>},
        {legacy_list_tail_list, <<131, 108, 1:32, 97, 1, 108, 1:32, 97, 2, 106>>},
        {legacy_list_tail_string, <<131, 108, 1:32, 97, 1, 107, 2:16, 2, 3>>},
        {legacy_big_not_normal, <<131, 110, 4, 0, 5, 0, 0, 0>>},
        {legacy_big_zero, <<131, 110, 0, 0>>},
        {legacy_large_big_small, <<131, 111, 1:32, 1, 9>>},
        {legacy_large_tuple_small, <<131, 105, 1:32, 97, 1>>},
        {legacy_newer_ref_5, <<131, 90, 5:16, 119, NodeLen, NodeBin/binary, 9:32, 1:32, 2:32, 3:32, 4:32, 5:32>>},
        {legacy_newer_ref_1, <<131, 90, 1:16, 119, NodeLen, NodeBin/binary, 9:32, 1:32>>},
        {legacy_bits_dirty_low, <<131, 77, 1:32, 3, 16#FF>>}
    ],
    lists:foreach(
        fun({Name, Bin}) ->
            %% Only keep what this OTP itself accepts.
            case catch binary_to_term(Bin) of
                {'EXIT', _} -> io:format("skip ~p: OTP refuses it~n", [Name]);
                _ -> ok = file:write_file(filename:join(Dir, atom_to_list(Name) ++ ".raw.bin"), Bin)
            end
        end, Legacy),
    io:format("done ~p~n", [length(Cases) * 3 + length(Legacy)]).
