using Atlas.Actors.Diagnostics;
using Atlas.Actors.Messaging;
using Atlas.Actors.Placement;

namespace Atlas.Actors.Membership;

/// <summary>
/// A silo's part in membership: it joins the table (Joining → Active), writes IAmAlive, probes the silos it watches
/// over the transport, votes a silo dead after missed probes and declares it dead once enough fresh votes agree, reads
/// the table on gossip and on a timer, and stops its silo if it finds itself declared dead.
/// Every table write is a compare-and-swap on the table version, so all silos see the same sequence of views.
/// </summary>
internal sealed class MembershipAgent : IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly MembershipOptions _options;
    private readonly SiloAddress _self;
    private readonly string _siloName;
    private readonly MessageCenter _messages;
    private readonly PlacementService _placement;
    private readonly RuntimeLog _log;
    private readonly TimeProvider _time;
    private readonly Action _onDeclaredDead;
    private readonly Dictionary<SiloAddress, int> _missedProbes = [];
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly CoalescingRefresh _refresh;
    private volatile bool _declaredDead;
    private volatile bool _joined;

    public MembershipAgent(IMembershipTable table, MembershipOptions options, SiloAddress self, string siloName, MessageCenter messages,
        PlacementService placement, RuntimeLog log, TimeProvider time, Action onDeclaredDead)
    {
        _table = table;
        _options = options;
        _self = self;
        _siloName = siloName;
        _messages = messages;
        _placement = placement;
        _log = log;
        _time = time;
        _onDeclaredDead = onDeclaredDead;
        _refresh = new CoalescingRefresh(RefreshAsync, "refresh after gossip", _log, _stopping.Token);
        _messages.MembershipGossip += _refresh.Request;
        _messages.LinkFailed += OnLinkFailed;
    }

    private DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    /// <summary>Joins the cluster: Joining, then Active, then starts probing.</summary>
    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        await _table.InitializeAsync(cancellationToken);
        var now = UtcNow;
        var entry = new MembershipEntry
        {
            Silo = _self,
            Status = SiloStatus.Joining,
            SiloName = _siloName,
            HostName = Environment.MachineName,
            StartTimeUtc = now,
            IAmAliveTimeUtc = now,
        };
        await WriteWithRetryAsync("insert own row", async () =>
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            return await _table.InsertRowAsync(entry, snapshot.Version.Next(), cancellationToken);
        }, cancellationToken);
        await DeclarePreviousIncarnationsDeadAsync(cancellationToken);
        await ValidateConnectivityAsync(cancellationToken);
        await SetOwnStatusAsync(SiloStatus.Active, cancellationToken);
        _joined = true;
        await RefreshAsync(cancellationToken);
        _messages.Gossip(_placement.View.ActiveSilos.Where(s => s != _self));

        _loops.Add(RunLoopAsync(_options.ProbeInterval, ProbeAsync));
        _loops.Add(RunLoopAsync(_options.IAmAliveInterval, ct => _table.UpdateIAmAliveAsync(_self, UtcNow, ct)));
        _loops.Add(RunLoopAsync(_options.TableRefreshInterval, RefreshAsync));
        _loops.Add(RunLoopAsync(_options.DefunctSiloCleanupPeriod, ct => _table.CleanupDefunctEntriesAsync(UtcNow - _options.DefunctSiloExpiration, ct)));
    }

    /// <summary>
    /// Before turning active, this silo must reach every active silo that is alive (recent IAmAlive): a silo that cannot
    /// talk to the cluster (another cluster id, a firewall) would otherwise receive grains it cannot serve. A silo that
    /// does not answer may be dead and not yet declared so: keep trying for a while, then give up and leave the table.
    /// </summary>
    private async Task ValidateConnectivityAsync(CancellationToken cancellationToken)
    {
        var deadline = UtcNow + _options.JoinConnectivityTimeout;
        var failures = new Dictionary<SiloAddress, string>();
        while (true)
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            var aliveCutoff = UtcNow - _options.IAmAliveInterval * 3;
            var others = snapshot.Entries
                .Where(e => e.Entry.Status == SiloStatus.Active && e.Entry.Silo != _self && e.Entry.IAmAliveTimeUtc >= aliveCutoff)
                .Select(e => e.Entry.Silo)
                .ToList();
            failures.Clear();
            await Task.WhenAll(others.Select(async silo =>
            {
                try
                {
                    await _messages.PingAsync(silo, _options.ProbeTimeout * 2, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    lock (failures)
                    {
                        failures[silo] = exception.Message;
                    }
                }
            }));
            if (failures.Count == 0)
            {
                return;
            }
            if (UtcNow > deadline)
            {
                await SetOwnStatusAsync(SiloStatus.Dead, cancellationToken);
                throw new SiloUnavailableException(
                    $"Silo {_self} cannot join the cluster: it cannot reach {string.Join("; ", failures.Select(f => $"{f.Key} ({f.Value})"))}.");
            }
            await Task.Delay(_options.ProbeInterval, cancellationToken);
        }
    }

    /// <summary>An older generation on this endpoint is a crashed earlier run of this silo: it is dead.</summary>
    private async Task DeclarePreviousIncarnationsDeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            var previous = snapshot.Entries.FirstOrDefault(e =>
                e.Entry.Silo.Endpoint == _self.Endpoint && e.Entry.Silo.Generation < _self.Generation && e.Entry.Status != SiloStatus.Dead);
            if (previous is null)
            {
                return;
            }
            if (await _table.UpdateRowAsync(previous.Entry with { Status = SiloStatus.Dead }, previous.ETag, snapshot.Version.Next(), cancellationToken))
            {
                _log.DeclaredDead(previous.Entry.Silo);
            }
        }
    }

    /// <summary>Marks this silo shutting down (others stop routing to it) and tells them.</summary>
    public async Task BeginLeaveAsync(CancellationToken cancellationToken)
    {
        await SetOwnStatusAsync(SiloStatus.ShuttingDown, cancellationToken);
        _messages.Gossip(_placement.View.ActiveSilos.Where(s => s != _self));
        _messages.GossipToInbound();
    }

    /// <summary>Marks this silo dead in the table and stops the loops.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await SetOwnStatusAsync(SiloStatus.Dead, cancellationToken);
        _messages.Gossip(_placement.View.ActiveSilos.Where(s => s != _self));
        await WaitForLoopsAsync();
    }

    /// <summary>Stops the loops without writing anything (a crash).</summary>
    public async Task AbandonAsync()
    {
        await _stopping.CancelAsync();
        await WaitForLoopsAsync();
    }

    private async Task SetOwnStatusAsync(SiloStatus status, CancellationToken cancellationToken) =>
        await WriteWithRetryAsync($"set own status {status}", async () =>
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            var own = snapshot.Entries.FirstOrDefault(e => e.Entry.Silo == _self);
            if (own is null || own.Entry.Status == SiloStatus.Dead)
            {
                return true; // removed or already declared dead: nothing left to announce
            }
            var updated = own.Entry with { Status = status, IAmAliveTimeUtc = UtcNow };
            return await _table.UpdateRowAsync(updated, own.ETag, snapshot.Version.Next(), cancellationToken);
        }, cancellationToken);

    private static async Task WriteWithRetryAsync(string operation, Func<Task<bool>> attempt, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await attempt())
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25) * Math.Min(i + 1, 10)), cancellationToken);
        }
        throw new InvalidOperationException($"Membership table: '{operation}' lost the compare-and-swap 100 times in a row.");
    }

    // ---- Reading the table -------------------------------------------------------------------------------------

    /// <summary>Reads the table and installs the view it describes.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            var own = snapshot.Entries.FirstOrDefault(e => e.Entry.Silo == _self);
            if (own?.Entry.Status == SiloStatus.Dead && !_stopping.IsCancellationRequested)
            {
                DeclaredDead();
                return;
            }
            if (own is null && !_stopping.IsCancellationRequested && _joined)
            {
                // The table lost this silo's row (e.g. a store restarted without persistence): join again.
                var now = UtcNow;
                var entry = new MembershipEntry
                {
                    Silo = _self, Status = SiloStatus.Active, SiloName = _siloName, HostName = Environment.MachineName,
                    StartTimeUtc = now, IAmAliveTimeUtc = now,
                };
                if (await _table.InsertRowAsync(entry, snapshot.Version.Next(), cancellationToken))
                {
                    _log.Rejoined(_self);
                    _messages.Gossip(MembershipView.FromSnapshot(snapshot).ActiveSilos.Where(s => s != _self));
                }
                snapshot = await _table.ReadAllAsync(cancellationToken);
            }
            var view = MembershipView.FromSnapshot(snapshot);
            var previous = _placement.View;
            if (_placement.Update(view))
            {
                _log.ViewChanged(view.Version, string.Join(", ", view.ActiveSilos));
                foreach (var gone in previous.ActiveSilos.Where(s => !view.IsActive(s)))
                {
                    lock (_missedProbes)
                    {
                        _missedProbes.Remove(gone);
                    }
                    if (view.DeadSilos.Contains(gone))
                    {
                        _messages.Forget(gone);
                    }
                }
            }
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private void DeclaredDead()
    {
        if (_declaredDead)
        {
            return;
        }
        _declaredDead = true;
        _log.SelfDeclaredDead(_self);
        _stopping.Cancel();
        _ = Task.Run(_onDeclaredDead);
    }

    // ---- Probing -----------------------------------------------------------------------------------------------

    private void OnLinkFailed(SiloAddress silo)
    {
        // A broken connection is a strong hint: probe now instead of waiting for the next round.
        if (!_stopping.IsCancellationRequested && _placement.View.IsActive(silo) && silo != _self)
        {
            _ = Task.Run(() => ProbeOneAsync(silo, _stopping.Token));
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var targets = ProbeTargets();
        await Task.WhenAll(targets.Select(t => ProbeOneAsync(t, cancellationToken)));
    }

    /// <summary>The silos this one watches: its successors on a ring of silo addresses (all of them in a small cluster).</summary>
    private IReadOnlyList<SiloAddress> ProbeTargets()
    {
        var silos = _placement.View.ActiveSilos;
        var index = -1;
        for (var i = 0; i < silos.Count; i++)
        {
            if (silos[i] == _self)
            {
                index = i;
            }
        }
        var others = silos.Count - (index >= 0 ? 1 : 0);
        var count = Math.Min(_options.NumProbedSilos, others);
        var targets = new List<SiloAddress>(count);
        for (var step = 1; targets.Count < count && step <= silos.Count; step++)
        {
            var candidate = silos[((index < 0 ? 0 : index) + step) % silos.Count];
            if (candidate != _self)
            {
                targets.Add(candidate);
            }
        }
        return targets;
    }

    private async Task ProbeOneAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        try
        {
            await _messages.PingAsync(silo, _options.ProbeTimeout, cancellationToken);
            lock (_missedProbes)
            {
                _missedProbes[silo] = 0;
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            int missed;
            lock (_missedProbes)
            {
                missed = _missedProbes[silo] = _missedProbes.GetValueOrDefault(silo) + 1;
            }
            _log.ProbeFailed(silo, missed, exception.Message);
            if (missed >= _options.MissedProbesLimit)
            {
                await SuspectAsync(silo, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Adds this silo's vote against <paramref name="silo"/>, declaring it dead when enough fresh votes agree.</summary>
    private async Task SuspectAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            var row = snapshot.Entries.FirstOrDefault(e => e.Entry.Silo == silo);
            if (row is null || row.Entry.Status == SiloStatus.Dead)
            {
                await RefreshAsync(cancellationToken);
                return;
            }
            var now = UtcNow;
            var votes = row.Entry.SuspectVotes
                .Where(v => v.Voter != _self && now - v.TimeUtc < _options.DeathVoteExpiration)
                .Append(new SuspectVote(_self, now))
                .ToArray();
            var voters = snapshot.Entries.Count(e => e.Entry.Status == SiloStatus.Active && e.Entry.Silo != silo);
            var needed = Math.Max(1, Math.Min(_options.NumVotesForDeathDeclaration, voters));
            var dead = votes.Length >= needed;
            var updated = dead
                ? row.Entry with { Status = SiloStatus.Dead, SuspectVotes = votes }
                : row.Entry with { SuspectVotes = votes };
            if (await _table.UpdateRowAsync(updated, row.ETag, snapshot.Version.Next(), cancellationToken))
            {
                if (dead)
                {
                    _log.DeclaredDead(silo);
                    await RefreshAsync(cancellationToken);
                    _messages.Gossip(_placement.View.ActiveSilos.Where(s => s != _self));
                }
                else
                {
                    _log.Suspected(silo, votes.Length, needed);
                }
                return;
            }
        }
    }

    // ---- Loops -------------------------------------------------------------------------------------------------

    private async Task RunLoopAsync(TimeSpan period, Func<CancellationToken, Task> body)
    {
        var token = _stopping.Token;
        try
        {
            using var timer = new PeriodicTimer(period, _time);
            while (await timer.WaitForNextTickAsync(token))
            {
                try
                {
                    await body(token);
                }
                catch (Exception exception)
                {
                    if (token.IsCancellationRequested)
                    {
                        return;
                    }
                    _log.MembershipTableFailed(body.Method.Name, exception);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WaitForLoopsAsync()
    {
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await AbandonAsync();
        _stopping.Dispose();
    }
}
