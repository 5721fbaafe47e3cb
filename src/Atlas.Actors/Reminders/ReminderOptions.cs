namespace Atlas.Actors.Reminders;

/// <summary>Reminder service settings.</summary>
public sealed class ReminderOptions
{
    /// <summary>The shortest reminder period accepted (default 1 s; Orleans requires 1 min).</summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a silo re-reads the reminders of its ring ranges (default 1 min; also on every view change).</summary>
    public TimeSpan RefreshReminderListPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
