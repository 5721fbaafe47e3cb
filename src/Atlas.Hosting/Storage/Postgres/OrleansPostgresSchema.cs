using Atlas.Infrastructure.Postgres;

namespace Atlas.Hosting.Storage.Postgres;

/// <summary>
/// Atlas' PostgreSQL schema (15 or later) for Orleans' ADO.NET grain storage and reminder table
/// (<c>Microsoft.Orleans.Persistence.AdoNet</c> / <c>.Reminders.AdoNet</c> 10.4.2). The packages ship no SQL: each
/// provider reads its statements from <c>OrleansQuery</c> at start-up, binds parameters by name (<c>@GrainIdHash</c>),
/// reads results by column name and passes hashes as <c>int</c>. The contract below was checked against the 10.4.2
/// assemblies, not only against the scripts in dotnet/orleans (which on main also bind JSON/XML payloads that 10.4.2
/// no longer sends, and carry reminder columns it does not read).
/// <para>
/// Differences from Orleans' own PostgreSQL scripts, on purpose: a unique index on a grain state's identity (their
/// <c>INSERT … WHERE NOT EXISTS</c> lets two racing first writes both insert, after which every read of that grain
/// fails); a reminder's version drawn from a sequence rather than restarted at 0 when a deleted reminder is
/// registered again, so an ETag from before the delete cannot remove the new registration.
/// </para>
/// </summary>
public static class OrleansPostgresSchema
{
    /// <summary>The query keys <c>AdoNetGrainStorage</c> reads (a fourth, <c>DeleteStorageKey</c>, is optional: see <see cref="Migrations"/>).</summary>
    public static IReadOnlyList<string> GrainStorageQueryKeys { get; } = ["ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey"];

    /// <summary>The query keys <c>AdoNetReminderTable</c> requires: it refuses to start if one is missing.</summary>
    public static IReadOnlyList<string> ReminderQueryKeys { get; } =
    [
        "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    // A grain state's identity, as the provider binds it: the hashes lead because they are short and selective.
    private const string GrainStateIdentity =
        """
        grain_id_hash = @GrainIdHash and state_name_hash = @GrainTypeHash and service_id = @ServiceId
                and state_name = @GrainTypeString and grain_id_n0 = @GrainIdN0 and grain_id_n1 = @GrainIdN1
                and grain_id_extension is not distinct from @GrainIdExtensionString
        """;

    private const string ReminderColumns =
        """grain_id as "GrainId", reminder_name as "ReminderName", start_time as "StartTime", period_ms as "Period", version as "Version" """;

    /// <summary>
    /// The migrations (ids <c>orleans/…</c>), applied at silo start-up by
    /// <see cref="PostgresMigrations.ApplyAsync(Npgsql.NpgsqlDataSource, IReadOnlyList{PostgresMigration}, Microsoft.Extensions.Logging.ILogger?, CancellationToken)"/>.
    /// <para>
    /// Clearing a grain's state keeps its row as a tombstone: the payload becomes null and the version goes on
    /// counting. Deleting the row (the provider's <c>DeleteStateOnClear</c>) would restart the version at 1 on the
    /// next write, so a writer still holding ETag "1" from before the clear could overwrite the new state; no
    /// <c>DeleteStorageKey</c> is provided, and a storage configured with <c>DeleteStateOnClear = true</c> fails at
    /// start-up saying so.
    /// </para>
    /// </summary>
    public static IReadOnlyList<PostgresMigration> Migrations { get; } =
    [
        new("orleans/0001-query-table",
            """
            -- The providers run "SELECT QueryKey, QueryText FROM OrleansQuery" at start-up: table and column names are
            -- theirs. "if not exists": a database may already hold it for Orleans' other ADO.NET providers.
            create table if not exists orleansquery (
                querykey varchar(64) primary key,
                querytext text not null
            );
            """),
        new("orleans/0002-grain-state",
            $$"""
            -- One row per service, state name and grain key. The provider binds the state name ([PersistentState("ride")]) as
            -- "GrainTypeString" and the key split into n0/n1/extension; the grain's type is not part of it, so grain types
            -- sharing keys need state names of their own. A key that reads as hex or a Guid is bound as an integer or Guid.
            create table orleans_grain_state (
                service_id text not null,
                state_name_hash integer not null,
                state_name text not null,
                grain_id_hash integer not null,
                grain_id_n0 bigint not null,
                grain_id_n1 bigint not null,
                grain_id_extension text null,
                payload bytea null, -- null once cleared: the row stays, so the version never restarts
                version integer not null check (version >= 1),
                modified_at timestamptz not null default now()
            );
            -- Of two first writers racing, the second waits on the first's index entry and then inserts nothing.
            create unique index orleans_grain_state_identity on orleans_grain_state
                (grain_id_hash, state_name_hash, service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension)
                nulls not distinct;

            -- Returns the new version, or, when the write is refused, the version the writer expected (null for a first
            -- write): the provider then throws InconsistentStateException. A first write (no expected version) inserts
            -- at version 1 unless a row exists; any other write updates the row only at the expected version.
            create function orleans_write_grain_state(
                p_grain_id_hash integer, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_state_name_hash integer,
                p_state_name text, p_grain_id_extension text, p_service_id text, p_expected_version integer, p_payload bytea)
            returns integer language plpgsql as $$
            declare
                written integer;
            begin
                if p_expected_version is null then
                    insert into orleans_grain_state
                        (service_id, state_name_hash, state_name, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_extension, payload, version)
                        values (p_service_id, p_state_name_hash, p_state_name, p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_id_extension, p_payload, 1)
                        on conflict do nothing
                        returning version into written;
                else
                    update orleans_grain_state set payload = p_payload, version = version + 1, modified_at = now()
                        where grain_id_hash = p_grain_id_hash and state_name_hash = p_state_name_hash and service_id = p_service_id
                            and state_name = p_state_name and grain_id_n0 = p_grain_id_n0 and grain_id_n1 = p_grain_id_n1
                            and grain_id_extension is not distinct from p_grain_id_extension
                            and version = p_expected_version
                        returning version into written;
                end if;
                return coalesce(written, p_expected_version);
            end
            $$;

            insert into orleansquery (querykey, querytext) values
            ('ReadFromStorageKey', $q$
                select payload as "PayloadBinary", version as "Version"
                from orleans_grain_state
                where {{GrainStateIdentity}}
            $q$),
            ('WriteToStorageKey', $q$
                select orleans_write_grain_state(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
                    @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary) as "NewGrainStateVersion"
            $q$),
            -- No row when the version moved on (or there is no state): the provider throws InconsistentStateException.
            ('ClearStorageKey', $q$
                update orleans_grain_state set payload = null, version = version + 1, modified_at = now()
                where {{GrainStateIdentity}}
                    and version = @GrainStateVersion
                returning version as "NewGrainStateVersion"
            $q$)
            on conflict (querykey) do update set querytext = excluded.querytext;
            """),
        new("orleans/0003-reminders",
            $$"""
            -- Every registration (first or again) takes a fresh version: an ETag identifies one registration for good.
            create sequence orleans_reminder_versions as integer cycle;

            create table orleans_reminders (
                service_id text not null,
                grain_id text not null,
                reminder_name text not null,
                grain_hash integer not null, -- the grain's uniform hash as a signed int: its place on the ring
                start_time timestamptz not null,
                period_ms bigint not null,
                version integer not null,
                primary key (service_id, grain_id, reminder_name)
            );
            create index orleans_reminders_ring on orleans_reminders (service_id, grain_hash);

            insert into orleansquery (querykey, querytext) values
            ('UpsertReminderRowKey', $q$
                insert into orleans_reminders (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version)
                values (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period, nextval('orleans_reminder_versions'))
                on conflict (service_id, grain_id, reminder_name) do update
                    set grain_hash = excluded.grain_hash, start_time = excluded.start_time, period_ms = excluded.period_ms,
                        version = excluded.version
                returning version as "Version"
            $q$),
            ('ReadReminderRowsKey', $q$
                select {{ReminderColumns}}
                from orleans_reminders
                where service_id = @ServiceId and grain_id = @GrainId
            $q$),
            ('ReadReminderRowKey', $q$
                select {{ReminderColumns}}
                from orleans_reminders
                where service_id = @ServiceId and grain_id = @GrainId and reminder_name = @ReminderName
            $q$),
            -- The ring range (begin, end] of unsigned hashes, compared as the signed ints the provider binds: it uses
            -- this key when (int)begin < (int)end, where the range is one interval of signed values...
            ('ReadRangeRows1Key', $q$
                select {{ReminderColumns}}
                from orleans_reminders
                where service_id = @ServiceId and grain_hash > @BeginHash and grain_hash <= @EndHash
            $q$),
            -- ...and this one otherwise, where it wraps past int.MaxValue (or is the whole ring, begin = end).
            ('ReadRangeRows2Key', $q$
                select {{ReminderColumns}}
                from orleans_reminders
                where service_id = @ServiceId and (grain_hash > @BeginHash or grain_hash <= @EndHash)
            $q$),
            -- One column, true when the registration with that version was removed.
            ('DeleteReminderRowKey', $q$
                with deleted as (
                    delete from orleans_reminders
                    where service_id = @ServiceId and grain_id = @GrainId and reminder_name = @ReminderName and version = @Version
                    returning 1
                )
                select count(*) > 0 as "Deleted" from deleted
            $q$),
            ('DeleteReminderRowsKey', $q$
                delete from orleans_reminders where service_id = @ServiceId
            $q$)
            on conflict (querykey) do update set querytext = excluded.querytext;
            """),
    ];
}
