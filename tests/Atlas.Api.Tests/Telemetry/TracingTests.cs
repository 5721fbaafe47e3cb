using System.Diagnostics;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Atlas.Api.Tests.Telemetry;

/// <summary>The API with spans recorded (<c>Telemetry:Tracing</c>) into OpenTelemetry's in-memory exporter.</summary>
public class TracingApiFactory : ApiFactory
{
    public SpanCollector Spans { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, new("Telemetry:Tracing", "true")];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans)));
    }

    /// <summary>
    /// The newest finished trace of a request whose server span is named <paramref name="serverSpan"/> (e.g.
    /// <c>POST /customer/ride/request</c>) that <paramref name="complete"/> accepts. Every test host in this process
    /// emits on the same-named activity sources, so the exporter also sees other tests' requests: the trace is chosen by
    /// what it holds, not by being the last one.
    /// </summary>
    public async Task<Trace> TraceOfAsync(string serverSpan, Func<Trace, bool> complete) =>
        await Infrastructure.Scenario.EventuallyAsync(() =>
        {
            var spans = Spans.Snapshot();
            var trace = spans
                .Where(s => s.Kind == ActivityKind.Server && s.DisplayName == serverSpan && s.Source.Name == "Microsoft.AspNetCore")
                .Reverse()
                .Select(root => new Trace(root, [.. spans.Where(s => s.TraceId == root.TraceId)]))
                .FirstOrDefault(complete);
            return Task.FromResult(trace);
        }, $"the spans of {serverSpan}");
}

/// <summary>The same on the test PostgreSQL: grain state through Orleans' ADO.NET provider, so Npgsql's spans join in.</summary>
public sealed class PostgresTracingApiFactory : TracingApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("ConnectionStrings:Postgres", TestPostgresServer.ConnectionString),
        new("Atlas:ClusterId", "api-traces-" + Guid.NewGuid().ToString("N")[..12]),
    ];
}

/// <summary>One request's spans: the server span of the API and every span of its trace.</summary>
public sealed record Trace(Activity Root, IReadOnlyList<Activity> Spans)
{
    public IEnumerable<Activity> ChildrenOf(Activity parent) => Spans.Where(s => s.ParentSpanId == parent.SpanId);

    public Activity? Grain(ActivityKind kind, string method) =>
        Spans.FirstOrDefault(s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == kind && s.DisplayName == method);

    /// <summary>Whether following parents from <paramref name="span"/> reaches the server span.</summary>
    public bool DescendsFromRoot(Activity span)
    {
        var byId = Spans.ToDictionary(s => s.SpanId);
        for (var current = span; current is not null; current = byId.GetValueOrDefault(current.ParentSpanId))
        {
            if (current.SpanId == Root.SpanId)
            {
                return true;
            }
        }
        return false;
    }
}

public sealed class TracingTests(TracingApiFactory api) : IClassFixture<TracingApiFactory>
{
    [Fact]
    public async Task A_ride_request_is_one_trace_from_the_http_request_through_the_order_grain_to_its_state_write()
    {
        var pickup = Scenario.RandomSpot();
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync();

        var ride = await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, Scenario.Offset(pickup, 1000, 0)));

        var orderGrainId = "order/" + ride.Str("order_id");
        var trace = await api.TraceOfAsync("POST /customer/ride/request", t => t.Grain(ActivityKind.Server, "IOrderGrain/RequestDriver") is not null
            && Equals(t.Grain(ActivityKind.Server, "IOrderGrain/Create")?.GetTagItem("orleans.rpc.target_id"), orderGrainId));
        Assert.Equal("/customer/ride/request", trace.Root.GetTagItem("http.route"));
        var create = trace.Grain(ActivityKind.Server, "IOrderGrain/Create");
        Assert.NotNull(create);
        Assert.Equal(orderGrainId, create.GetTagItem("orleans.rpc.target_id"));
        // The order grain's first state write is a child of its Create call.
        var write = Assert.Single(trace.ChildrenOf(create), s => s.Source.Name == "Microsoft.Orleans.Storage" && s.DisplayName == "write storage");
        Assert.Equal(orderGrainId, write.GetTagItem("orleans.grain.id"));
        // Every grain call and storage operation of the request hangs under the request's own span: one trace, no orphans.
        Assert.All(trace.Spans, span => Assert.True(trace.DescendsFromRoot(span), $"{span.DisplayName} is not under the request's span"));
        Assert.Contains(trace.Spans, s => s.DisplayName == "IWalletGrain/Hold" && s.Kind == ActivityKind.Server);
    }

    [Fact]
    public async Task A_request_that_carries_a_traceparent_continues_the_callers_trace()
    {
        var caller = ActivityTraceId.CreateRandom();
        var rider = api.Rider(Scenario.NewId("rider"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/wallet");
        request.Headers.Authorization = new("Bearer", rider.Token);
        request.Headers.Add("traceparent", $"00-{caller}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await rider.Http.SendAsync(request);

        response.EnsureSuccessStatusCode();
        var trace = await api.TraceOfAsync("GET /wallet", t => t.Root.TraceId == caller && t.Grain(ActivityKind.Server, "IWalletGrain/GetBalance") is not null);
        Assert.Equal(caller, trace.Root.TraceId);
    }
}

public sealed class PostgresTracingTests(PostgresTracingApiFactory api) : IClassFixture<PostgresTracingApiFactory>
{
    [Fact]
    public async Task On_postgres_the_trace_of_an_order_reaches_the_database_commands()
    {
        var pickup = Scenario.RandomSpot();
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync(0);

        var order = await rider.PostOkAsync("/customer/order", Scenario.OrderBody(riderId, pickup, Scenario.Offset(pickup, 1000, 0)));

        var orderGrainId = "order/" + order.Str("order_id");
        var trace = await api.TraceOfAsync("POST /customer/order", t => t.Grain(ActivityKind.Server, "IOrderGrain/Create") is { } create
            && Equals(create.GetTagItem("orleans.rpc.target_id"), orderGrainId)
            && t.ChildrenOf(create).Any(s => s.DisplayName == "write storage" && t.ChildrenOf(s).Any()));
        var create = trace.Grain(ActivityKind.Server, "IOrderGrain/Create")!;
        var write = trace.ChildrenOf(create).Single(s => s.DisplayName == "write storage");
        var command = Assert.Single(trace.ChildrenOf(write));
        Assert.Equal("Npgsql", command.Source.Name);
        Assert.Equal(ActivityKind.Client, command.Kind);
        Assert.Equal("postgresql", command.GetTagItem("db.system.name") ?? command.GetTagItem("db.system"));
    }
}
