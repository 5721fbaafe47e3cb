using System.Collections.Concurrent;
using Atlas.Actors.Hosting;
using Atlas.Actors.Invocation;
using Atlas.Actors.Scheduling;

namespace Atlas.Actors.Catalog;

/// <summary>
/// The activations of one silo: at most one per grain id (several for stateless workers), created on the first
/// request and removed when they deactivate.
/// </summary>
internal sealed class ActivationCatalog(SiloRuntime runtime)
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly ConcurrentDictionary<GrainId, StatelessWorkerPool> _workers = new();
    private volatile bool _acceptingNew = true;

    public int Count => _activations.Count + _workers.Values.Sum(p => p.Count);

    /// <summary>Every live activation (a snapshot).</summary>
    public IEnumerable<ActivationData> All => _activations.Values.Concat(_workers.Values.SelectMany(p => p.Workers));

    /// <summary>Requests waiting in the mailboxes of all activations (walks them all: for metrics, not hot paths).</summary>
    public long QueuedRequests => All.Sum(a => (long)a.QueueLength);

    public bool TryGet(GrainId grainId, out ActivationData activation) => _activations.TryGetValue(grainId, out activation!);

    /// <summary>
    /// Queues the request at the grain's activation, creating it if needed. Returns false if no activation exists and
    /// this silo no longer creates new ones (it is shutting down): the caller routes the request elsewhere.
    /// </summary>
    public bool Deliver(GrainRequest request, GrainClassMetadata grainClass)
    {
        if (grainClass.IsStatelessWorker)
        {
            return DeliverToWorker(request, grainClass);
        }
        while (true)
        {
            if (!_activations.TryGetValue(request.Target, out var activation))
            {
                if (!_acceptingNew)
                {
                    return false;
                }
                activation = new ActivationData(request.Target, grainClass, runtime);
                if (!_activations.TryAdd(request.Target, activation))
                {
                    continue;
                }
            }
            if (activation.TryEnqueue(request))
            {
                return true;
            }
            // It deactivated between lookup and enqueue: make sure it is gone, then try again.
            _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(request.Target, activation));
        }
    }

    private bool DeliverToWorker(GrainRequest request, GrainClassMetadata grainClass) =>
        (_acceptingNew || _workers.ContainsKey(request.Target)) &&
        // A static factory with its state passed along: a capturing lambda would allocate on every call of Deliver.
        _workers.GetOrAdd(request.Target, static (id, state) => new StatelessWorkerPool(id, state.grainClass, state.runtime), (grainClass, runtime)).Deliver(request);

    public void OnActivationRemoved(ActivationData activation)
    {
        if (activation.Class.IsStatelessWorker)
        {
            if (_workers.TryGetValue(activation.GrainId, out var pool))
            {
                pool.Remove(activation);
            }
            return;
        }
        _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));
    }

    /// <summary>Stops creating activations (shutdown): requests for grains not active here are routed elsewhere.</summary>
    public void StopAcceptingNew() => _acceptingNew = false;

    /// <summary>Deactivates every activation gracefully and waits until they are gone.</summary>
    public async Task DeactivateAllAsync(DeactivationReason reason, TimeSpan timeout)
    {
        var deadline = Timestamps.After(timeout);
        while (Count > 0 && Timestamps.Now < deadline)
        {
            var all = All.ToList();
            foreach (var activation in all)
            {
                activation.RequestDeactivation(reason);
            }
            var remaining = deadline - Timestamps.Now;
            var wait = Task.WhenAll(all.Select(a => a.Deactivated));
            await Task.WhenAny(wait, Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, remaining * 1000.0 / System.Diagnostics.Stopwatch.Frequency))));
        }
    }

    /// <summary>Drops every activation without running grain code (a crash). Returns the requests that were waiting.</summary>
    public List<GrainRequest> AbandonAll()
    {
        _acceptingNew = false;
        var waiting = new List<GrainRequest>();
        foreach (var activation in All.ToList())
        {
            waiting.AddRange(activation.Abandon());
        }
        _activations.Clear();
        _workers.Clear();
        return waiting;
    }
}

/// <summary>The local activations of one stateless-worker grain id: a request goes to an idle one, or a new one up to the limit.</summary>
internal sealed class StatelessWorkerPool(GrainId grainId, GrainClassMetadata grainClass, SiloRuntime runtime)
{
    private readonly List<ActivationData> _workers = [];

    public int Count
    {
        get
        {
            lock (_workers)
            {
                return _workers.Count;
            }
        }
    }

    public IReadOnlyList<ActivationData> Workers
    {
        get
        {
            lock (_workers)
            {
                return _workers.ToArray();
            }
        }
    }

    public bool Deliver(GrainRequest request)
    {
        while (true)
        {
            ActivationData? chosen;
            lock (_workers)
            {
                chosen = null;
                foreach (var worker in _workers)
                {
                    if (chosen is null || worker.Load < chosen.Load)
                    {
                        chosen = worker;
                    }
                }
                if (chosen is null || (chosen.Load > 0 && _workers.Count < grainClass.MaxLocalWorkers))
                {
                    chosen = new ActivationData(grainId, grainClass, runtime);
                    _workers.Add(chosen);
                }
            }
            if (chosen.TryEnqueue(request))
            {
                return true;
            }
            Remove(chosen);
        }
    }

    public void Remove(ActivationData worker)
    {
        lock (_workers)
        {
            _workers.Remove(worker);
        }
    }
}
