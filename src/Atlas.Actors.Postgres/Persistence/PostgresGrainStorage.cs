using Atlas.Actors.Persistence;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Atlas.Actors.Postgres;

/// <summary>
/// Grain storage in PostgreSQL: one row per (service, grain, state) in <c>atlas_grain_state</c>, holding the state as
/// JSON and its integer version. Every write is a single statement fenced by the version, so concurrent writers
/// cannot both succeed and a failed call leaves nothing half-written.
/// </summary>
public sealed class PostgresGrainStorage : IGrainStorage
{
    private const string ReadSql =
        "select version, payload from atlas_grain_state where service_id = $1 and grain_type = $2 and grain_key = $3 and state_name = $4";

    private const string ReadVersionSql =
        "select version from atlas_grain_state where service_id = $1 and grain_type = $2 and grain_key = $3 and state_name = $4";

    private const string InsertSql =
        """
        insert into atlas_grain_state (service_id, grain_type, grain_key, state_name, version, payload, modified_at)
        values ($1, $2, $3, $4, 1, $5, now())
        on conflict (service_id, grain_type, grain_key, state_name) do nothing
        """;

    private const string UpdateSql =
        """
        update atlas_grain_state set version = version + 1, payload = $5, modified_at = now()
        where service_id = $1 and grain_type = $2 and grain_key = $3 and state_name = $4 and version = $6
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _serviceId;
    private readonly GrainStateSerializer _serializer;
    private readonly ILogger _logger;
    private readonly string _provider;

    /// <param name="name">The storage's name (for errors and logs).</param>
    /// <param name="serviceId">Separates the rows of deployments sharing the database.</param>
    /// <param name="dataSource">The connection pool; the caller owns it. The schema is created on first use.</param>
    /// <param name="serializer">How states become JSON (the silo's <see cref="GrainStateSerializer"/>).</param>
    /// <param name="logger">Where outages are logged.</param>
    public PostgresGrainStorage(string name, string serviceId, NpgsqlDataSource dataSource, GrainStateSerializer serializer, ILogger<PostgresGrainStorage>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _serializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        _serviceId = serviceId;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _provider = $"PostgreSQL grain storage '{name}'";
    }

    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var command = Command(connection, ReadSql, stateName, grainId);
            await using var reader = await command.ExecuteReaderAsync(token);
            if (!await reader.ReadAsync(token))
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
                return 0;
            }
            var version = reader.GetInt32(0);
            var payload = reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1);
            // Deserialize before touching grainState, so that a payload that cannot be read leaves it as it was.
            if (payload is not null)
            {
                grainState.State = _serializer.Deserialize<TState>(payload);
            }
            grainState.ETag = GrainStateVersion.Format(version);
            grainState.RecordExists = payload is not null;
            return version;
        }, readOnly: true, $"reading state '{stateName}' of {grainId}", cancellationToken);

    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var payload = _serializer.Serialize(grainState.State);
        var version = await SwapAsync(stateName, grainId, grainState.ETag, payload, cancellationToken);
        grainState.ETag = GrainStateVersion.Format(version);
        grainState.RecordExists = true;
    }

    /// <summary>Removes the payload but keeps the row with a bumped version, so a writer holding the old ETag still fails.</summary>
    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var version = await SwapAsync(stateName, grainId, grainState.ETag, payload: null, cancellationToken);
        grainState.ETag = GrainStateVersion.Format(version);
        grainState.RecordExists = false;
    }

    /// <summary>Stores <paramref name="payload"/> if the stored version is the one <paramref name="etag"/> names; returns the new version.</summary>
    private Task<int> SwapAsync(string stateName, GrainId grainId, string? etag, byte[]? payload, CancellationToken cancellationToken)
    {
        var expected = GrainStateVersion.Parse(etag);
        return RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            int changed;
            await using (var command = Command(connection, expected == 0 ? InsertSql : UpdateSql, stateName, grainId))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)payload ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Json });
                if (expected != 0)
                {
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = expected });
                }
                changed = await command.ExecuteNonQueryAsync(token);
            }
            if (changed == 1)
            {
                return expected + 1;
            }
            // Lost: report what is stored now (rows are never deleted, so a row seen by the insert is still there).
            await using var read = Command(connection, ReadVersionSql, stateName, grainId);
            var stored = await read.ExecuteScalarAsync(token) is int version ? version : 0;
            throw GrainStateVersion.Mismatch(stateName, grainId, stored, etag);
        }, readOnly: false, $"{(payload is null ? "clearing" : "writing")} state '{stateName}' of {grainId}", cancellationToken);
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, string sql, string stateName, GrainId grainId)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Key });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stateName });
        return command;
    }

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, bool readOnly, string action, CancellationToken cancellationToken) =>
        PostgresFailures.RunAsync(async token =>
            {
                await ActorsSchema.EnsureAsync(_dataSource, _logger, token);
                return await operation(token);
            },
            readOnly, _provider, action, (message, cause) => new GrainStorageUnavailableException(message, _provider, cause), _logger, cancellationToken);
}
