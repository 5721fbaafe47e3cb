using Atlas.Infrastructure.Sqlite;

namespace Atlas.Hosting.Storage.Sqlite;

/// <summary>
/// The tables of Atlas' SQLite grain storage and reminder table (migrations <c>orleans/…</c>). They live beside the
/// ledger's tables (<c>ledger/…</c>) in the embedded platform's one file. Files written by the retired Atlas.Actors
/// runtime (tables <c>atlas_grain_state</c>, <c>atlas_reminders</c>, migrations <c>actors/…</c>) are not migrated: their
/// payloads were JSON, these are Orleans' binary format; the old tables stay untouched and unread.
/// </summary>
public static class SqliteStorageSchema
{
    /// <summary>The migrations, applied in order by <see cref="SqliteDatabase.EnsureSchemaAsync"/>.</summary>
    public static IReadOnlyList<SqliteMigration> Migrations { get; } =
    [
        new("orleans/0001-grain-state",
            """
            create table orleans_grain_state (
                -- The GrainId, split so that the same key under two grain types are two rows.
                grain_type text not null,
                grain_key text not null,
                -- The name the grain gave its state ([PersistentState("name")]).
                state_name text not null,
                -- The ETag. Starts at 1, +1 on every write and clear; never reset, so an ETag is never valid twice.
                version integer not null check (version >= 1),
                -- The silo's IGrainStorageSerializer output; null once cleared (the row stays to keep the version).
                payload blob null,
                modified_at text not null,
                primary key (grain_type, grain_key, state_name)
            ) without rowid;
            """),
        new("orleans/0002-reminders",
            """
            -- One counter for every reminder row: an ETag is never reused, even after a reminder is removed and registered again.
            create table orleans_reminder_etag (last integer not null);
            insert into orleans_reminder_etag (last) values (0);
            create table orleans_reminders (
                grain_type text not null,
                grain_key text not null,
                reminder_name text not null,
                -- GrainId.GetUniformHashCode(), the grain's uint position on the ring (SQLite integers are 64-bit, so
                -- ranges order as unsigned).
                grain_hash integer not null check (grain_hash between 0 and 4294967295),
                start_at_ticks integer not null, -- UTC
                period_ticks integer not null check (period_ticks >= 0),
                etag integer not null,
                primary key (grain_type, grain_key, reminder_name)
            );
            create index orleans_reminders_ring on orleans_reminders (grain_hash);
            """),
    ];

    /// <summary>Whether the file holds grain state or reminders of the retired Atlas.Actors runtime (which these providers do not read).</summary>
    public static Task<bool> HasRetiredTablesAsync(SqliteDatabase database, CancellationToken cancellationToken = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "select count(*) from sqlite_master where type = 'table' and name in ('atlas_grain_state', 'atlas_reminders')";
            return (long)(await command.ExecuteScalarAsync(token))! > 0;
        }, cancellationToken);
}
