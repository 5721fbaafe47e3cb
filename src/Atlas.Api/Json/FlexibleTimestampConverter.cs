using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Api.Json;

/// <summary>
/// Reads a point in time given as an RFC 3339 string (<c>"2026-11-22T10:15:30.250Z"</c>, offset required) or as a
/// unix time number: below <see cref="MillisecondsThreshold"/> it is seconds (fractions allowed), from there on
/// milliseconds. Writes RFC 3339 in UTC.
/// </summary>
/// <remarks>
/// Apps send both: phones report milliseconds, older clients seconds. 10^11 seconds is the year 5138 while 10^11
/// milliseconds is March 1973, so no real timestamp of either kind falls on the wrong side of the threshold.
/// </remarks>
public sealed class FlexibleTimestampConverter : JsonConverter<DateTimeOffset?>
{
    public const double MillisecondsThreshold = 100_000_000_000;

    // DateTimeOffset's range in unix seconds.
    private static readonly double MinSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly double MaxSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                var text = reader.GetString();
                if (TryParseRfc3339(text, out var parsed))
                {
                    return parsed;
                }
                throw new JsonException("A timestamp string must be RFC 3339 with an offset, e.g. 2026-11-22T10:15:30Z.");
            case JsonTokenType.Number:
                if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    throw new JsonException("A timestamp number must be unix seconds or milliseconds.");
                }
                var seconds = Math.Abs(number) >= MillisecondsThreshold ? number / 1000 : number;
                if (seconds < MinSeconds || seconds > MaxSeconds)
                {
                    throw new JsonException("The timestamp is out of range.");
                }
                return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero));
            default:
                throw new JsonException($"A timestamp must be an RFC 3339 string or a unix time number, not {FlexibleIdConverter.Describe(reader.TokenType)}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } timestamp)
        {
            writer.WriteStringValue(timestamp.ToUniversalTime());
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    /// <summary>RFC 3339 demands an offset (<c>Z</c> or <c>±hh:mm</c>): a local time without one is ambiguous.</summary>
    internal static bool TryParseRfc3339(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 20 || text.Length > 40)
        {
            return false;
        }
        var last = text[^1];
        var hasOffset = last is 'Z' or 'z' || (text.Length >= 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return hasOffset && text[10] is 'T' or 't' or ' ' &&
               DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }
}
