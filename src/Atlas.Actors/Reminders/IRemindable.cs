namespace Atlas.Actors;

/// <summary>A grain that receives durable reminders. Reminders survive silo restarts and reactivate the grain.</summary>
public interface IRemindable : IGrain
{
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>When a reminder tick was due.</summary>
public readonly record struct TickStatus(DateTime FirstTickTimeUtc, TimeSpan Period, DateTime CurrentTickTimeUtc);

/// <summary>A registered reminder.</summary>
public interface IGrainReminder
{
    string ReminderName { get; }
}
