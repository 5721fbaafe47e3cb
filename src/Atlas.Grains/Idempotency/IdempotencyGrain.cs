using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Atlas.Grains.Idempotency;

/// <summary>
/// An idempotency record. A reminder due at expiry clears it, so records of keys never used again do not stay in
/// storage; a record read after its expiry but before the reminder fired counts as absent.
/// </summary>
public sealed class IdempotencyGrain(
    [PersistentState("idempotency")] IPersistentState<IdempotencyState> state,
    IOptions<IdempotencyOptions> options,
    IOptions<ReminderOptions> reminderOptions,
    TimeProvider time) : Grain, IIdempotencyGrain
{
    private const string ExpiryReminder = "expire";

    private readonly IdempotencyOptions _options = options.Value;

    // Orleans refuses reminder periods under ReminderOptions.MinimumReminderPeriod (1 min): a shorter retention is due
    // on time and repeats at that minimum (a record read after its expiry counts as absent anyway).
    private readonly TimeSpan _expiryPeriod = options.Value.Retention < reminderOptions.Value.MinimumReminderPeriod
        ? reminderOptions.Value.MinimumReminderPeriod
        : options.Value.Retention;

    private IdempotencyState Record => state.State;

    private DateTimeOffset Now => time.GetUtcNow();

    public async Task<IdempotencyDecision> Begin(string fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        if (Record.Fingerprint is not null && Now >= Record.ExpiresAt)
        {
            await ForgetAsync();
        }
        if (Record.Fingerprint is null)
        {
            Record.Fingerprint = fingerprint;
            Record.Response = null;
            Record.ExpiresAt = Now + _options.Retention;
            Record.PendingUntil = Now + _options.PendingLease;
            // Registered before the record is stored, so no stored record is left without its expiry.
            await this.RegisterOrUpdateReminder(ExpiryReminder, _options.Retention, _expiryPeriod);
            await state.WriteStateAsync();
            return new IdempotencyDecision(IdempotencyOutcome.Started);
        }
        if (!string.Equals(Record.Fingerprint, fingerprint, StringComparison.Ordinal))
        {
            return new IdempotencyDecision(IdempotencyOutcome.Conflict);
        }
        if (Record.Response is { } response)
        {
            return new IdempotencyDecision(IdempotencyOutcome.Replay, response);
        }
        if (Record.PendingUntil is { } pending && Now < pending)
        {
            return new IdempotencyDecision(IdempotencyOutcome.InProgress, RetryAt: pending);
        }
        // The first attempt never completed nor abandoned the key (its process died): this retry takes over.
        Record.PendingUntil = Now + _options.PendingLease;
        await state.WriteStateAsync();
        return new IdempotencyDecision(IdempotencyOutcome.Started);
    }

    public async Task Complete(string fingerprint, IdempotentResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!string.Equals(Record.Fingerprint, fingerprint, StringComparison.Ordinal) || Record.Response is not null)
        {
            return; // expired meanwhile, or a duplicate completion: the first response stands
        }
        Record.Response = response;
        Record.PendingUntil = null;
        await state.WriteStateAsync();
    }

    public async Task Abandon(string fingerprint)
    {
        if (string.Equals(Record.Fingerprint, fingerprint, StringComparison.Ordinal) && Record.Response is null)
        {
            await ForgetAsync();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder)
        {
            return;
        }
        if (Record.Fingerprint is null || Now >= Record.ExpiresAt)
        {
            await ForgetAsync();
            DeactivateOnIdle();
        }
    }

    private async Task ForgetAsync()
    {
        if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
        Record.Fingerprint = null;
        Record.Response = null;
        Record.PendingUntil = null;
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }
    }
}
