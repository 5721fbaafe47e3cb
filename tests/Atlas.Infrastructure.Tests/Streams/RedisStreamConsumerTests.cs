using Atlas.Infrastructure.Streams;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.Streams;

public sealed class RedisStreamConsumerTests : IAsyncLifetime
{
    private readonly string _prefix = TestRedis.NewPrefix("consumer");
    private readonly CapturingLoggerProvider _logs = new();
    private readonly List<IAsyncDisposable> _disposables = [];
    private RideStreamOptions _options = null!;
    private RedisStreamConnection _connection = null!;

    private string[] Streams => [$"{_prefix}s:0", $"{_prefix}s:1"];

    public Task InitializeAsync()
    {
        _options = TestRedis.Options(_prefix);
        _connection = TestRedis.Connection(_options);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
        await _connection.DisposeAsync();
    }

    private static RedisStreamConsumerOptions Options(string consumer = "c1", string group = "g") => new()
    {
        Group = group,
        Consumer = consumer,
        BatchSize = 20,
        PollInterval = TimeSpan.FromMilliseconds(20),
        ClaimIdleTime = TimeSpan.FromMilliseconds(300),
        ClaimInterval = TimeSpan.FromMilliseconds(100),
        MaxDeliveries = 3,
        MinBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    private async Task<RedisStreamConsumer<string>> StartAsync(RecordingHandler handler, RedisStreamConsumerOptions? options = null)
    {
        var consumer = new RedisStreamConsumer<string>(_connection, Streams, options ?? Options(), handler, 1_000,
            _logs.CreateLogger("consumer"));
        _disposables.Add(consumer);
        await consumer.StartAsync();
        return consumer;
    }

    private async Task<string[]> AddAsync(int count, string tag = "e")
    {
        var bodies = Enumerable.Range(0, count).Select(i => $"{tag}-{i}").ToArray();
        for (var i = 0; i < bodies.Length; i++)
        {
            await TestRedis.AddRawAsync(Streams[i % 2], "body", bodies[i]);
        }
        return bodies;
    }

    private async Task<long> PendingAsync(string group = "g") => await TestRedis.PendingAsync(Streams[0], group) + await TestRedis.PendingAsync(Streams[1], group);

    [Fact]
    public async Task Entries_of_every_stream_are_handled_in_batches_and_acknowledged_after_the_handler_returns()
    {
        var handler = new RecordingHandler();
        var consumer = await StartAsync(handler);

        var bodies = await AddAsync(100);

        await Eventually.HoldsAsync(() => consumer.Processed == 100, "100 entries processed", describe: () => $"{consumer.Processed}");
        Assert.Equal(bodies.Order(), handler.Handled.Order());
        Assert.All(handler.Batches, b => Assert.InRange(b.Count, 1, 40)); // BatchSize per stream, two streams
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task A_new_consumer_of_the_same_group_continues_where_the_group_left_off()
    {
        var first = new RecordingHandler();
        var consumer = await StartAsync(first);
        await AddAsync(10, "before");
        await Eventually.HoldsAsync(() => consumer.Processed == 10, "the first 10 entries processed");
        await consumer.StopAsync();

        await AddAsync(5, "after");
        var second = new RecordingHandler();
        var next = await StartAsync(second, Options("c2"));

        await Eventually.HoldsAsync(() => next.Processed == 5, "the 5 new entries processed");
        Assert.All(second.Handled, body => Assert.StartsWith("after-", body));
    }

    [Fact]
    public async Task Entries_a_dead_consumer_left_unacknowledged_are_taken_over_by_another_after_the_idle_time()
    {
        var bodies = await AddAsync(30);
        var dying = new RecordingHandler { Before = (_, token) => Task.Delay(Timeout.Infinite, token) };
        var dead = await StartAsync(dying, Options("dies"));
        await Eventually.HoldsAsync(() => dying.Batches.Count > 0, "the dying consumer to read a batch");
        await dead.DisposeAsync(); // as if the process died: nothing acknowledged
        var inHand = dying.Batches.SelectMany(b => b).Select(m => m.Value).ToArray();

        var survivor = new RecordingHandler();
        var takeover = await StartAsync(survivor, Options("survives"));

        await Eventually.HoldsAsync(() => survivor.Handled.Count == 30, "all 30 entries handled by the survivor", describe: () => $"{survivor.Handled.Count}");
        Assert.Equal(bodies.Order(), survivor.Handled.Order());
        Assert.Equal(inHand.Length, takeover.Reclaimed);
        Assert.Equal(0, await PendingAsync());
        Assert.Contains(_logs.Lines, l => l.Message.Contains("took over", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restarted_consumer_first_handles_what_it_had_read_and_not_acknowledged()
    {
        var crashing = new RecordingHandler { Before = (_, token) => Task.Delay(Timeout.Infinite, token) };
        var options = Options("same-name");
        options.ClaimIdleTime = TimeSpan.FromMinutes(10); // no take-over: only its own restart brings them back
        var bodies = await AddAsync(10);
        var crashed = await StartAsync(crashing, options);
        await Eventually.HoldsAsync(() => crashing.Batches.Count > 0, "the consumer to read a batch");
        await crashed.DisposeAsync();
        await Eventually.HoldsAsync(async () => await PendingAsync() == 10, "the 10 entries to be pending");

        var restarted = new RecordingHandler();
        var consumer = await StartAsync(restarted, options);

        await Eventually.HoldsAsync(() => consumer.Processed == 10, "the pending entries handled");
        Assert.Equal(bodies.Order(), restarted.Handled.Order());
        Assert.All(restarted.Batches.SelectMany(b => b), m => Assert.Equal(2, m.Deliveries));
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task An_entry_the_handler_keeps_refusing_is_dead_lettered_on_its_last_allowed_delivery_and_the_others_pass()
    {
        var handler = new RecordingHandler { Refuse = { "e-7" } };
        var consumer = await StartAsync(handler);

        var bodies = await AddAsync(20);

        await Eventually.HoldsAsync(() => consumer.DeadLettered == 1, "the refused entry dead-lettered", describe: () => $"{consumer.Processed} processed");
        Assert.Equal(bodies.Where(b => b != "e-7").Order(), handler.Handled.Order());
        var tries = handler.Batches.Count(b => b.Count == 1 && b[0].Value == "e-7");
        Assert.Equal(3, tries); // MaxDeliveries
        var deadLetters = await TestRedis.RangeAsync(RideStreamOptions.DeadLetterStreamOf(Streams[1]));
        var dead = Assert.Single(deadLetters);
        Assert.Equal(Streams[1], dead["source_stream"]);
        Assert.Equal("e-7", dead["f:body"]);
        Assert.Equal("3", dead["deliveries"]);
        Assert.Equal(("g", "c1"), (dead["group"], dead["consumer"]));
        Assert.Contains("'e-7' is refused", dead["reason"]);
        Assert.Contains("delivery 3 of 3", dead["reason"]);
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task An_entry_that_cannot_be_parsed_is_dead_lettered_at_once_with_its_fields_and_the_consumer_moves_on()
    {
        var handler = new RecordingHandler();
        var consumer = await StartAsync(handler);

        var garbage = await TestRedis.AddRawAsync(Streams[0], "nonsense", "\u0001\u0002", "more", "x");
        var bodies = await AddAsync(4);

        await Eventually.HoldsAsync(() => consumer.Processed == 4 && consumer.DeadLettered == 1, "4 processed and 1 dead-lettered");
        var dead = Assert.Single(await TestRedis.RangeAsync(RideStreamOptions.DeadLetterStreamOf(Streams[0])));
        Assert.Equal(garbage, dead["source_id"]);
        Assert.Equal(("\u0001\u0002", "x"), (dead["f:nonsense"], dead["f:more"]));
        Assert.Equal("malformed entry: the entry has no 'body' field", dead["reason"]);
        Assert.Equal(bodies.Order(), handler.Handled.Order());
        Assert.True(_logs.Contains(LogLevel.Error, garbage));
    }

    [Fact]
    public async Task Transient_handler_failures_are_retried_with_back_off_and_never_dead_letter_anything()
    {
        var handler = new RecordingHandler();
        handler.FailTransiently(8); // more than MaxDeliveries
        var consumer = await StartAsync(handler);

        var bodies = await AddAsync(6);

        await Eventually.HoldsAsync(() => consumer.Processed == 6, "6 entries processed");
        Assert.Equal(0, consumer.DeadLettered);
        Assert.Equal(bodies.Order(), handler.Handled.Order());
        Assert.True(_logs.Contains(LogLevel.Warning, "the handler's store is unavailable"));
        Assert.True(_logs.Contains(LogLevel.Information, "the handler's store is back"));
    }

    [Fact]
    public async Task A_group_that_Redis_lost_is_created_again_and_consuming_resumes()
    {
        var handler = new RecordingHandler();
        var consumer = await StartAsync(handler);
        await AddAsync(4, "before");
        await Eventually.HoldsAsync(() => consumer.Processed == 4, "4 entries processed");

        // What a Redis restart without persistence does to the streams: they, their groups and pending entries are gone.
        var database = await TestRedis.DatabaseAsync();
        await database.KeyDeleteAsync(Streams.Select(s => (RedisKey)s).ToArray());
        await AddAsync(6, "after");

        await Eventually.HoldsAsync(() => consumer.Processed == 10, "the 6 entries appended after the loss processed", describe: () => $"{consumer.Processed}");
        Assert.True(_logs.Contains(LogLevel.Warning, "creating it again"));
    }

    [Fact]
    public async Task Consumers_long_idle_with_nothing_pending_are_removed_from_the_group()
    {
        var options = Options();
        options.ConsumerExpiry = TimeSpan.FromMilliseconds(200);
        var database = await TestRedis.DatabaseAsync();
        foreach (var stream in Streams)
        {
            await database.StreamCreateConsumerGroupAsync(stream, "g", StreamPosition.Beginning, createStream: true);
            // StackExchange.Redis has no typed XGROUP CREATECONSUMER.
            await database.ExecuteAsync("XGROUP", "CREATECONSUMER", (RedisKey)stream, "g", "gone-long-ago");
        }
        await Eventually.HoldsAsync(async () => (await ConsumersAsync(database)).All(c => c.IdleMs > 200), "the ghost to be idle longer than the expiry");

        await StartAsync(new RecordingHandler(), options);

        await Eventually.HoldsAsync(async () => (await ConsumersAsync(database)).Select(c => c.Name).SequenceEqual(["c1"]), "the idle consumer removed");
    }

    private async Task<IReadOnlyList<(string Name, long IdleMs)>> ConsumersAsync(IDatabase database)
    {
        var consumers = await database.StreamConsumerInfoAsync(Streams[0], "g");
        return consumers.Select(c => (c.Name, c.IdleTimeInMilliseconds)).ToArray();
    }
}
