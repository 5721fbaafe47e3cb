using Orleans.Runtime;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>State the provider tests store: Orleans-serializable, as every Atlas grain state.</summary>
[GenerateSerializer, Alias("atlas.tests.PostgresNote")]
public sealed record PostgresNote
{
    [Id(0)] public string? Text { get; init; }
    [Id(1)] public int Ticks { get; init; }
}

/// <summary>A grain with persistent state in the default storage and a durable reminder that counts its ticks in that state.</summary>
[Alias("atlas.tests.IPostgresNoteGrain")]
public interface IPostgresNoteGrain : IGrainWithStringKey
{
    [Alias("Write")] Task Write(string text);
    [Alias("Read")] Task<PostgresNote> Read();
    [Alias("StartTicking")] Task StartTicking(string reminder, TimeSpan period);
    [Alias("HasReminder")] Task<bool> HasReminder(string reminder);
}

public sealed class PostgresNoteGrain([PersistentState("note")] IPersistentState<PostgresNote> note) : Grain, IPostgresNoteGrain, IRemindable
{
    public async Task Write(string text)
    {
        note.State = note.State with { Text = text };
        await note.WriteStateAsync();
    }

    public Task<PostgresNote> Read() => Task.FromResult(note.State);

    public Task StartTicking(string reminder, TimeSpan period) => this.RegisterOrUpdateReminder(reminder, period, period);

    public async Task<bool> HasReminder(string reminder) => await this.GetReminder(reminder) is not null;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        note.State = note.State with { Ticks = note.State.Ticks + 1 };
        await note.WriteStateAsync();
    }
}
