using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using StackExchange.Redis;

using Atlas.Grains.Markets;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// The stream entries the sinks write and the consumers read. Every entry has three fields: <c>type</c> (what the
/// payload is: <see cref="RideEventType"/> or <see cref="DriverLocationType"/>), <c>v</c> (its schema version,
/// <see cref="SchemaVersion"/>) and <c>data</c> (the payload as snake_case JSON, enums by their wire names). The
/// payload is a contract of its own, not the domain record serialized, so the domain can change without breaking
/// consumers; a new incompatible shape gets a new version, and a consumer refuses versions it does not know
/// (they go to the dead letters rather than being misread).
/// </summary>
public static class RideStreamEntries
{
    public const string TypeField = "type";
    public const string VersionField = "v";
    public const string DataField = "data";

    public const string RideEventType = "ride-event";
    public const string DriverLocationType = "driver-location";

    /// <summary>The schema version this code writes and reads.</summary>
    public const int SchemaVersion = 1;

    private static readonly string Version = SchemaVersion.ToString(CultureInfo.InvariantCulture);

    /// <summary>The fields of the entry that carries <paramref name="message"/>.</summary>
    internal static NameValueEntry[] Fields(RideEventMessage message) =>
        Fields(RideEventType, JsonSerializer.Serialize(RideEventPayload.From(message), StreamJsonContext.Default.RideEventPayload));

    /// <summary>The fields of the entry that carries <paramref name="message"/>.</summary>
    internal static NameValueEntry[] Fields(DriverLocationMessage message) =>
        Fields(DriverLocationType, JsonSerializer.Serialize(DriverLocationPayload.From(message), StreamJsonContext.Default.DriverLocationPayload));

    private static NameValueEntry[] Fields(string type, string json) =>
        [new(TypeField, type), new(VersionField, Version), new(DataField, json)];

    /// <summary>
    /// Queues <c>XADD {stream} MAXLEN ~ {maxLength} * {fields}</c> on <paramref name="commands"/> (a batch, so that a
    /// call's appends go in one round trip): trimming to about <paramref name="maxLength"/> entries, at whole macro
    /// nodes, costs Redis next to nothing.
    /// </summary>
    internal static Task<RedisValue> AppendAsync(IDatabaseAsync commands, RedisKey stream, long maxLength, NameValueEntry[] fields) =>
        commands.StreamAddAsync(stream, fields, maxLength: maxLength, useApproximateMaxLength: true);

    /// <summary>Reads a ride event entry; throws <see cref="StreamEntryFormatException"/> naming what is wrong.</summary>
    public static RideEventMessage ParseRideEvent(StreamEntry entry) =>
        Parse(entry, RideEventType, StreamJsonContext.Default.RideEventPayload).ToMessage();

    /// <summary>Reads a driver position entry; throws <see cref="StreamEntryFormatException"/> naming what is wrong.</summary>
    public static DriverLocationMessage ParseDriverLocation(StreamEntry entry) =>
        Parse(entry, DriverLocationType, StreamJsonContext.Default.DriverLocationPayload).ToMessage();

    private static T Parse<T>(StreamEntry entry, string expectedType, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) where T : class
    {
        ArgumentNullException.ThrowIfNull(entry);
        var type = entry[TypeField] ?? throw new StreamEntryFormatException($"the entry has no '{TypeField}' field");
        if (type != expectedType)
        {
            throw new StreamEntryFormatException($"the entry is a '{type}', this stream carries '{expectedType}'");
        }
        var version = entry[VersionField] ?? throw new StreamEntryFormatException($"the entry has no '{VersionField}' field");
        if (version != Version)
        {
            throw new StreamEntryFormatException($"schema version '{version}' of '{type}' is not supported (this consumer reads version {Version})");
        }
        var data = entry[DataField] ?? throw new StreamEntryFormatException($"the entry has no '{DataField}' field");
        try
        {
            return JsonSerializer.Deserialize(data, typeInfo) ?? throw new StreamEntryFormatException("the payload is JSON null");
        }
        catch (JsonException exception)
        {
            throw new StreamEntryFormatException($"the payload is not a valid '{type}' v{Version}: {exception.Message}", exception);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new StreamEntryFormatException($"the payload is not a valid '{type}' v{Version}: {exception.Message}", exception);
        }
    }

    internal static string ActorName(RideActor actor) => actor switch
    {
        RideActor.Rider => "rider",
        RideActor.Driver => "driver",
        RideActor.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(actor), actor, "Not a defined ride actor."),
    };

    internal static RideActor ParseActor(string name) => name switch
    {
        "rider" => RideActor.Rider,
        "driver" => RideActor.Driver,
        "system" => RideActor.System,
        _ => throw new StreamEntryFormatException($"unknown actor '{name}'"),
    };

    internal static string DriverStatusName(DriverStatusSnapshot status) => status switch
    {
        DriverStatusSnapshot.Offline => "offline",
        DriverStatusSnapshot.Available => "available",
        DriverStatusSnapshot.Offered => "offered",
        DriverStatusSnapshot.OnTrip => "on_trip",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined driver status."),
    };

    internal static DriverStatusSnapshot ParseDriverStatus(string name) => name switch
    {
        "offline" => DriverStatusSnapshot.Offline,
        "available" => DriverStatusSnapshot.Available,
        "offered" => DriverStatusSnapshot.Offered,
        "on_trip" => DriverStatusSnapshot.OnTrip,
        _ => throw new StreamEntryFormatException($"unknown driver status '{name}'"),
    };
}

/// <summary>Version 1 of a ride event on the stream.</summary>
internal sealed class RideEventPayload
{
    public required string RideId { get; init; }
    public required int Sequence { get; init; }
    public required string Name { get; init; }
    public required string Actor { get; init; }
    public string? Detail { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Status { get; init; }
    public required string RiderId { get; init; }
    public string? DriverId { get; init; }
    public required string VehicleType { get; init; }
    public required string City { get; init; }
    public required string Currency { get; init; }
    public required long Estimate { get; init; }
    public long? Charged { get; init; }
    public long? Commission { get; init; }
    public long? DistanceM { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Absent in entries written before payment methods: those rides paid from the wallet.</summary>
    public string? PaymentMethod { get; init; }

    /// <summary>Absent in entries written before surge: no surge (10 000 basis points).</summary>
    public int? SurgeBasisPoints { get; init; }

    public static RideEventPayload From(RideEventMessage m) => new()
    {
        RideId = m.RideId,
        Sequence = m.Sequence,
        Name = m.Name,
        Actor = RideStreamEntries.ActorName(m.Actor),
        Detail = m.Detail,
        At = m.At,
        Status = m.Status.ToWireName(),
        RiderId = m.RiderId,
        DriverId = m.DriverId,
        VehicleType = m.VehicleClass,
        City = m.City,
        Currency = m.Currency,
        Estimate = m.EstimateMinor,
        Charged = m.ChargedMinor,
        Commission = m.CommissionMinor,
        DistanceM = m.DistanceMeters,
        CreatedAt = m.CreatedAt,
        PaymentMethod = m.PaymentMethod.ToWireName(),
        SurgeBasisPoints = m.SurgeBasisPoints,
    };

    public RideEventMessage ToMessage()
    {
        Require(RideId, "ride_id");
        Require(Name, "name");
        Require(RiderId, "rider_id");
        Require(City, "city");
        if (Sequence < 1)
        {
            throw new StreamEntryFormatException($"sequence {Sequence} of ride {RideId} is not positive");
        }
        if (!Grains.Monetary.Currency.IsValidCode(Currency))
        {
            throw new StreamEntryFormatException($"'{Currency}' is not a currency code");
        }
        if (!RideStatuses.TryParse(Status, out var status))
        {
            throw new StreamEntryFormatException($"unknown ride status '{Status}'");
        }
        Require(VehicleType, "vehicle_type");
        var payment = Grains.Markets.PaymentMethod.Wallet;
        if (PaymentMethod is not null && !PaymentMethods.TryParse(PaymentMethod, out payment))
        {
            throw new StreamEntryFormatException($"unknown payment method '{PaymentMethod}'");
        }
        if (SurgeBasisPoints is < SurgeMultiplier.None)
        {
            throw new StreamEntryFormatException($"surge multiplier {SurgeBasisPoints} basis points is below 1");
        }
        return new RideEventMessage(RideId, Sequence, Name, RideStreamEntries.ParseActor(Actor), Detail, At, status, RiderId, DriverId, VehicleType,
            City, Currency, Estimate, Charged, Commission, DistanceM, CreatedAt, payment, SurgeBasisPoints ?? SurgeMultiplier.None);
    }

    private static void Require(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new StreamEntryFormatException($"'{field}' is empty");
        }
    }
}

/// <summary>Version 1 of a driver position on the stream.</summary>
internal sealed class DriverLocationPayload
{
    public required string DriverId { get; init; }
    public required DateTimeOffset At { get; init; }
    public required double Lat { get; init; }
    public required double Lon { get; init; }
    public required string Status { get; init; }

    public static DriverLocationPayload From(DriverLocationMessage m) => new()
    {
        DriverId = m.DriverId,
        At = m.At,
        Lat = m.Location.Latitude,
        Lon = m.Location.Longitude,
        Status = RideStreamEntries.DriverStatusName(m.Status),
    };

    public DriverLocationMessage ToMessage()
    {
        if (string.IsNullOrEmpty(DriverId))
        {
            throw new StreamEntryFormatException("'driver_id' is empty");
        }
        if (!GeoPoint.IsValidLatitude(Lat) || !GeoPoint.IsValidLongitude(Lon))
        {
            throw new StreamEntryFormatException($"({Lat}, {Lon}) is not a position");
        }
        return new DriverLocationMessage(DriverId, new GeoPoint(Lat, Lon), At, RideStreamEntries.ParseDriverStatus(Status));
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RideEventPayload))]
[JsonSerializable(typeof(DriverLocationPayload))]
internal sealed partial class StreamJsonContext : JsonSerializerContext;
