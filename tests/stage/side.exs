# The Elixir side of the stage interop tests: real GenStage stages, and a driver the Rust test
# commands. Run as `elixir --sname N --cookie C -pa <GenStage ebin> -r side.exs -e 'Side.main()'`.
# The driver registers as `:driver`, prints READY, then answers `{:apply, From, M, F, A}` with
# `{:applied, Result}` sent to From, until the test kills it.

defmodule Side.Producer do
  # Emits the integers from `start` on demand; its options are GenStage's.
  use GenStage

  def init({start, opts}), do: {:producer, start, opts}

  def handle_demand(demand, n), do: {:noreply, Enum.to_list(n..(n + demand - 1)), n + demand}
end

defmodule Side.Consumer do
  # Reports every batch to `report` as {:batch, Self, Count, Outstanding, Events}; manual demand
  # (`ask` at a time, asked again once all arrived) so each batch is one protocol message and the
  # test can check it against the demand; or automatic demand when `ask` is :automatic.
  use GenStage

  def init({report, ask}), do: {:consumer, %{report: report, ask: ask, out: %{}}}

  def handle_subscribe(:producer, _opts, from, %{ask: :automatic} = s) do
    send(s.report, {:subscribed, self(), from})
    {:automatic, s}
  end

  def handle_subscribe(:producer, _opts, from, s) do
    send(s.report, {:subscribed, self(), from})
    GenStage.ask(from, s.ask)
    {_, ref} = from
    {:manual, put_in(s.out[ref], s.ask)}
  end

  def handle_events(events, _from, %{ask: :automatic} = s) do
    send(s.report, {:batch, self(), length(events), :automatic, events})
    {:noreply, [], s}
  end

  def handle_events(events, from, s) do
    n = length(events)
    {_, ref} = from
    out = Map.get(s.out, ref, 0)
    send(s.report, {:batch, self(), n, out, events})

    s =
      case out - n do
        left when left <= 0 ->
          GenStage.ask(from, s.ask)
          put_in(s.out[ref], s.ask)

        left ->
          put_in(s.out[ref], left)
      end

    {:noreply, [], s}
  end

  def handle_cancel(reason, _from, s) do
    send(s.report, {:cancelled, self(), reason})
    {:noreply, [], s}
  end
end

defmodule Side.Doubler do
  # A producer_consumer: doubles every event.
  use GenStage

  def init(opts), do: {:producer_consumer, nil, opts}

  def handle_events(events, _from, s), do: {:noreply, Enum.map(events, &(&1 * 2)), s}
end

defmodule Side.Worker do
  # A ConsumerSupervisor child that lives until killed.
  def start_link(arg), do: {:ok, spawn_link(fn -> Process.sleep(:infinity) && arg end)}
end

defmodule Side.Sup do
  # A real ConsumerSupervisor of Side.Worker children, subscribed to nothing.
  use ConsumerSupervisor

  def init(_) do
    child = %{id: Side.Worker, start: {Side.Worker, :start_link, []}, restart: :temporary}
    ConsumerSupervisor.init([child], strategy: :one_for_one)
  end
end

defmodule Side do
  def main() do
    Process.register(self(), :driver)
    IO.puts("READY")
    loop()
  end

  defp loop() do
    receive do
      {:apply, from, m, f, a} ->
        result =
          try do
            apply(m, f, a)
          catch
            kind, reason -> {:caught, kind, reason}
          end

        send(from, {:applied, result})
        loop()
    end
  end

  # Starts a stage unlinked, registered under `name` when given.
  def start(module, args, name) do
    opts = if name, do: [name: name], else: []
    GenStage.start(module, args, opts)
  end

  # Starts a Side.Sup registered as `name`, unlinked from the caller.
  def start_sup(name) do
    {:ok, pid} = ConsumerSupervisor.start_link(Side.Sup, [], name: name)
    Process.unlink(pid)
    {:ok, pid}
  end

  # Sends a forged `{:"$gen_producer", {self(), ref}, request}` to `to` (first a subscribe with
  # `opts` when given) and returns the reason of the cancel that comes back, or :no_cancel.
  def forge(to, subscribe_opts, request) do
    ref = make_ref()
    if subscribe_opts, do: send(to, {:"$gen_producer", {self(), ref}, {:subscribe, nil, subscribe_opts}})
    send(to, {:"$gen_producer", {self(), ref}, request})

    receive do
      {:"$gen_consumer", {_, ^ref}, {:cancel, reason}} -> reason
    after
      5000 -> :no_cancel
    end
  end

  # The partitions Elixir's PartitionDispatcher picks for `events` over `n` partitions.
  def partitions(events, n), do: Enum.map(events, &:erlang.phash2(&1, n))

  # A stage's process exit reason, once it exits (monitored from here).
  def await_exit(pid, timeout) do
    ref = Process.monitor(pid)

    receive do
      {:DOWN, ^ref, _, _, reason} -> {:exited, reason}
    after
      timeout -> :alive
    end
  end
end
