using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Idempotency;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace Atlas.Api.Tests.Idempotency;

/// <summary>The idempotency record itself, called on the host's silo.</summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencyGrainTests(ApiFactory api)
{
    private IIdempotencyGrain NewRecord() =>
        api.Services.GetRequiredService<IGrainFactory>().GetGrain<IIdempotencyGrain>(IdempotencyKeys.For("rider:test", Guid.NewGuid().ToString()));

    [Fact]
    public async Task The_first_use_of_a_key_starts_the_request()
    {
        var decision = await NewRecord().Begin("fingerprint-a");

        Assert.Equal(IdempotencyOutcome.Started, decision.Outcome);
    }

    [Fact]
    public async Task While_the_first_request_runs_a_retry_is_told_it_is_in_progress()
    {
        var record = NewRecord();
        await record.Begin("fingerprint-a");

        var retry = await record.Begin("fingerprint-a");

        Assert.Equal(IdempotencyOutcome.InProgress, retry.Outcome);
        Assert.NotNull(retry.RetryAt);
    }

    [Fact]
    public async Task After_completion_a_retry_gets_the_stored_response()
    {
        var record = NewRecord();
        await record.Begin("fingerprint-a");
        await record.Complete("fingerprint-a", new IdempotentResponse(200, "application/json", """{"ok":true}"""));

        var retry = await record.Begin("fingerprint-a");

        Assert.Equal(IdempotencyOutcome.Replay, retry.Outcome);
        Assert.Equal("""{"ok":true}""", retry.Response!.Body);
    }

    [Fact]
    public async Task Another_fingerprint_on_a_used_key_is_a_conflict()
    {
        var record = NewRecord();
        await record.Begin("fingerprint-a");

        var other = await record.Begin("fingerprint-b");

        Assert.Equal(IdempotencyOutcome.Conflict, other.Outcome);
    }

    [Fact]
    public async Task An_abandoned_key_may_start_another_request()
    {
        var record = NewRecord();
        await record.Begin("fingerprint-a");
        await record.Abandon("fingerprint-a");

        var next = await record.Begin("fingerprint-b");

        Assert.Equal(IdempotencyOutcome.Started, next.Outcome);
    }

    [Fact]
    public async Task A_second_completion_does_not_replace_the_first_response()
    {
        var record = NewRecord();
        await record.Begin("fingerprint-a");
        await record.Complete("fingerprint-a", new IdempotentResponse(200, "application/json", "first"));
        await record.Complete("fingerprint-a", new IdempotentResponse(200, "application/json", "second"));

        var retry = await record.Begin("fingerprint-a");

        Assert.Equal("first", retry.Response!.Body);
    }
}
