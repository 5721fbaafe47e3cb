using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Actors.Membership;

namespace Atlas.Actors.Redis;

/// <summary>
/// The JSON of one <c>silo:{address}</c> field: the row's ETag and the entry without its IAmAlive time, which lives in
/// its own field because it is rewritten every few seconds without a version change.
/// </summary>
internal sealed record MembershipRowDocument(
    [property: JsonPropertyName("etag")] string ETag,
    [property: JsonPropertyName("entry")] MembershipEntryDocument Entry)
{
    public static string Serialize(MembershipEntry entry, string etag) => JsonSerializer.Serialize(
        new MembershipRowDocument(etag, new MembershipEntryDocument(
            entry.Status,
            entry.SiloName,
            entry.HostName,
            UtcTimes.Normalize(entry.StartTimeUtc),
            entry.SuspectVotes.Select(v => new SuspectVoteDocument(v.Voter.ToString(), UtcTimes.Normalize(v.TimeUtc))).ToArray())),
        MembershipJsonContext.Default.MembershipRowDocument);

    public static VersionedEntry Deserialize(SiloAddress silo, string json, DateTime iAmAliveUtc)
    {
        var row = JsonSerializer.Deserialize(json, MembershipJsonContext.Default.MembershipRowDocument)
            ?? throw new JsonException("The row is null.");
        var entry = new MembershipEntry
        {
            Silo = silo,
            Status = row.Entry.Status,
            SiloName = row.Entry.SiloName,
            HostName = row.Entry.HostName,
            StartTimeUtc = row.Entry.StartTimeUtc,
            IAmAliveTimeUtc = iAmAliveUtc,
            SuspectVotes = row.Entry.SuspectVotes.Select(v => new SuspectVote(SiloAddress.Parse(v.Voter), v.TimeUtc)).ToArray(),
        };
        return new VersionedEntry(entry, row.ETag);
    }
}

/// <summary>A membership entry as stored (the silo address is the field name; IAmAlive is a field of its own).</summary>
internal sealed record MembershipEntryDocument(
    SiloStatus Status,
    string SiloName,
    string HostName,
    DateTime StartTimeUtc,
    SuspectVoteDocument[] SuspectVotes);

internal sealed record SuspectVoteDocument(string Voter, DateTime TimeUtc);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(MembershipRowDocument))]
internal sealed partial class MembershipJsonContext : JsonSerializerContext;

/// <summary>UTC times in one fixed-width text form, so that Lua can compare them as strings.</summary>
internal static class UtcTimes
{
    /// <summary>Local times are converted; unspecified ones are taken as UTC (the runtime only produces UTC).</summary>
    public static DateTime Normalize(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => time,
    };

    /// <summary>Round-trip form, always 28 characters for UTC (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>).</summary>
    public static string Format(DateTime time) => Normalize(time).ToString("O", CultureInfo.InvariantCulture);

    public static DateTime Parse(string text) => DateTime.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
