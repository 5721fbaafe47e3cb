using System.Diagnostics;
using System.Text.Json;
using Atlas.Actors.Diagnostics;
using Atlas.Actors.Invocation;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Placement;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Client;

/// <summary>
/// A process outside the cluster that calls grains. It reads the silos from the membership table, computes each
/// grain's owner on the same placement ring as the silos, and sends the call straight to that silo over its one
/// connection there, so calls to one grain keep their order. When a silo's connection breaks, the calls in flight to
/// it fail with <see cref="SiloUnavailableException"/> and the client re-reads the table; later calls go to the
/// grain's new owner.
/// </summary>
public sealed class ClusterClient : IGrainCallInvoker, IAsyncDisposable
{
    private readonly ClientOptions _options;
    private readonly MessagingOptions _messaging;
    private readonly IMembershipTable _table;
    private readonly ITransport _transport;
    private readonly RuntimeLog _log;
    private readonly GrainFactory _grainFactory;
    private readonly PlacementService _placement = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly MessageCenter _messages;
    private Task? _loop;
    private readonly CoalescingRefresh _refresh;

    public ClusterClient(ClientOptions options, MessagingOptions messaging, SerializationOptions serialization, IMembershipTable table, ITransport transport, ILoggerFactory loggerFactory)
    {
        GrainAssemblies.EnsureRegistered();
        _options = options;
        _messaging = messaging;
        _table = table;
        _transport = transport;
        _log = new RuntimeLog(loggerFactory.CreateLogger("Atlas.Actors.Client"));
        _grainFactory = new GrainFactory(this);
        JsonOptions = serialization.CreateJsonOptions(_grainFactory);
        _messages = new MessageCenter(ConnectionIdentity.ForClient(options.ClusterId, options.ClientId), transport, JsonOptions, messaging,
            serialization.MaxMessageSize, _log, inboundRouter: null);
        _refresh = new CoalescingRefresh(RefreshAsync, "client refresh", _log, _stopping.Token);
        _messages.LinkFailed += _ => _refresh.Request();
        _messages.MembershipGossip += _refresh.Request;
    }

    public IGrainFactory GrainFactory => _grainFactory;

    internal JsonSerializerOptions JsonOptions { get; }

    /// <summary>The membership view the client routes by.</summary>
    public MembershipView View => _placement.View;

    /// <summary>Reads membership and waits until at least one silo is active.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _table.InitializeAsync(cancellationToken);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await RefreshAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException && deadline.Elapsed < _options.ConnectTimeout)
            {
                _log.MembershipTableFailed("client connect", exception);
            }
            if (_placement.Ring.Silos.Count > 0)
            {
                break;
            }
            if (deadline.Elapsed >= _options.ConnectTimeout)
            {
                throw new SiloUnavailableException($"No active silo of cluster '{_options.ClusterId}' appeared within {_options.ConnectTimeout}.");
            }
            await Task.Delay(100, cancellationToken);
        }
        _loop ??= MaintenanceLoopAsync();
    }

    public void Send(GrainRequest request)
    {
        // As a silo's own calls: the deadline from the coarse clock (late by a few milliseconds at most, never early);
        // the precise clock is read once, when the request is written, for the time left that travels with it. The
        // send time only serves a silo's latency histogram, which a client does not have.
        var timeout = request.Method.Timeout ?? _messaging.ResponseTimeout;
        request.DeadlineTimestamp = Timestamps.CoarseNow + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        request.ArgumentsIsolated = true; // it will be serialized

        SiloAddress? target;
        var grainClass = GrainRegistry.FindClass(request.Target.Type);
        if (grainClass?.IsStatelessWorker == true)
        {
            var silos = _placement.Ring.Silos;
            target = silos.Count == 0 ? null : silos[Random.Shared.Next(silos.Count)];
        }
        else
        {
            target = _placement.OwnerOf(request.Target);
        }
        if (target is null)
        {
            _refresh.Request();
            request.Fail(new SiloUnavailableException($"{request.Describe()} failed: no active silo of cluster '{_options.ClusterId}' is known to the client."));
            return;
        }
        _messages.SendRequest(target, request);
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var previous = _placement.View;
            var view = MembershipView.FromSnapshot(await _table.ReadAllAsync(cancellationToken));
            if (_placement.Update(view))
            {
                // A silo that is shutting down still answers (and forwards) what it receives; only the dead are forgotten.
                foreach (var gone in previous.ActiveSilos.Where(s => view.DeadSilos.Contains(s)))
                {
                    _messages.Forget(gone);
                }
            }
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private async Task MaintenanceLoopAsync()
    {
        var token = _stopping.Token;
        var nextRefresh = Timestamps.After(_options.ViewRefreshInterval);
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(_messaging.ResponseTimeout.TotalMilliseconds / 5, 10, 250)));
            while (await timer.WaitForNextTickAsync(token))
            {
                _messages.ExpirePending(Timestamps.Now, TimeSpan.FromMilliseconds(500));
                if (Timestamps.Now >= nextRefresh)
                {
                    nextRefresh = Timestamps.After(_options.ViewRefreshInterval);
                    try
                    {
                        await RefreshAsync(token);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        _log.MembershipTableFailed("client refresh", exception);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _messages.Close();
        await _transport.DisposeAsync();
    }
}
