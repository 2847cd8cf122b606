# GenStage's shape for `cargo bench --bench node -- stage-elixir`: one producer emitting
# integers, one consumer with max_demand 1000 counting what it receives.
#   Bench.local(Secs)                 both stages on this node; prints "events_per_sec N" and
#                                     "cpu_ns_per_event C" (the VM's CPU time, all threads)
#   Bench.producer()                  registers `bench_producer` here and waits
#   Bench.consumer(ProducerNode, Secs) subscribes to {bench_producer, ProducerNode}; prints the rate

defmodule Bench.Producer do
  use GenStage
  def init(n), do: {:producer, n}
  def handle_demand(demand, n), do: {:noreply, Enum.to_list(n..(n + demand - 1)), n + demand}
end

defmodule Bench.Consumer do
  use GenStage
  def init(counter), do: {:consumer, counter}

  def handle_events(events, _from, counter) do
    :counters.add(counter, 1, length(events))
    {:noreply, [], counter}
  end
end

defmodule Bench do
  def local(secs) do
    {:ok, p} = GenStage.start_link(Bench.Producer, 0)
    measure(p, secs)
  end

  def producer() do
    {:ok, _} = GenStage.start_link(Bench.Producer, 0, name: :bench_producer)
    IO.puts("READY")
    Process.sleep(:infinity)
  end

  def consumer(node, secs) do
    true = Node.connect(node)
    measure({:bench_producer, node}, secs, [node])
  end

  # CPU time (ms, all threads of the VM) of this node and of `nodes`.
  defp cpu_ms(nodes) do
    {own, _} = :erlang.statistics(:runtime)
    others = for n <- nodes, do: elem(:rpc.call(n, :erlang, :statistics, [:runtime]), 0)
    own + Enum.sum(others)
  end

  defp measure(to, secs, nodes \\ []) do
    counter = :counters.new(1, [])
    {:ok, c} = GenStage.start_link(Bench.Consumer, counter)
    {:ok, _} = GenStage.sync_subscribe(c, to: to, max_demand: 1000)
    Process.sleep(500)
    start = :counters.get(counter, 1)
    cpu0 = cpu_ms(nodes)
    t0 = System.monotonic_time(:microsecond)
    Process.sleep(secs * 1000)
    n = :counters.get(counter, 1) - start
    t1 = System.monotonic_time(:microsecond)
    cpu1 = cpu_ms(nodes)
    IO.puts("events_per_sec #{round(n * 1_000_000 / (t1 - t0))}")
    IO.puts("cpu_ns_per_event #{Float.round((cpu1 - cpu0) * 1_000_000 / max(n, 1), 1)}")
    System.halt(0)
  end
end
