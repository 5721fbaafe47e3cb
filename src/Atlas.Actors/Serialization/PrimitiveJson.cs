using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Atlas.Actors.Invocation;

namespace Atlas.Actors.Serialization;

/// <summary>
/// The JSON of the commonest argument and result types (<see cref="int"/>, <see cref="long"/>, <see cref="bool"/>,
/// <see cref="string"/>, <see cref="Guid"/>, <see cref="NoResult"/>) written and read straight with the writer and
/// reader: the same text <see cref="JsonSerializer"/> produces and accepts, without its per-call dispatch (type info
/// lookup, read and write stacks), which costs more than the value itself on every remote call. Used only while the
/// options resolve <typeparamref name="T"/> to the built-in converter, so a resolver that customises it still wins.
/// </summary>
internal static class PrimitiveJson<T>
{
    private static readonly bool Supported =
        typeof(T) == typeof(int) || typeof(T) == typeof(long) || typeof(T) == typeof(bool) ||
        typeof(T) == typeof(string) || typeof(T) == typeof(Guid) || typeof(T) == typeof(NoResult);

    /// <summary>The last options checked, with the verdict: one options instance per silo or client, so it rarely changes.</summary>
    private static Verdict? _last;

    /// <summary>Whether <paramref name="options"/> serialize <typeparamref name="T"/> exactly as this class does.</summary>
    public static bool Applies(JsonSerializerOptions options)
    {
        if (!Supported)
        {
            return false;
        }
        var last = _last;
        if (last is not null && ReferenceEquals(last.Options, options))
        {
            return last.Applies;
        }
        var verdict = new Verdict(options, UsesBuiltInConverter(options));
        _last = verdict;
        return verdict.Applies;
    }

    private static bool UsesBuiltInConverter(JsonSerializerOptions options)
    {
        if (options.NumberHandling != JsonNumberHandling.Strict)
        {
            return false;
        }
        JsonTypeInfo info;
        try
        {
            info = options.GetTypeInfo(typeof(T));
        }
        catch (Exception exception) when (exception is NotSupportedException or InvalidOperationException)
        {
            return false;
        }
        if (info.NumberHandling is not null and not JsonNumberHandling.Strict)
        {
            return false;
        }
        if (typeof(T) == typeof(NoResult))
        {
            // An object with no properties: the built-in object converter, nothing customised.
            return info.Kind == JsonTypeInfoKind.Object && info.Properties.Count == 0 && info.Converter.GetType().Assembly == typeof(JsonSerializer).Assembly;
        }
        JsonConverter builtIn =
            typeof(T) == typeof(int) ? JsonMetadataServices.Int32Converter :
            typeof(T) == typeof(long) ? JsonMetadataServices.Int64Converter :
            typeof(T) == typeof(bool) ? JsonMetadataServices.BooleanConverter :
            typeof(T) == typeof(string) ? JsonMetadataServices.StringConverter :
            JsonMetadataServices.GuidConverter;
        return ReferenceEquals(info.Converter, builtIn);
    }

    public static void Write(Utf8JsonWriter writer, T value)
    {
        if (typeof(T) == typeof(int))
        {
            writer.WriteNumberValue((int)(object)value!);
        }
        else if (typeof(T) == typeof(long))
        {
            writer.WriteNumberValue((long)(object)value!);
        }
        else if (typeof(T) == typeof(bool))
        {
            writer.WriteBooleanValue((bool)(object)value!);
        }
        else if (typeof(T) == typeof(Guid))
        {
            writer.WriteStringValue((Guid)(object)value!);
        }
        else if (typeof(T) == typeof(NoResult))
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else if (value is string text)
        {
            writer.WriteStringValue(text);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    /// <summary>Reads the value at the reader's current token (as <see cref="JsonSerializer"/> would from there).</summary>
    public static T Read(ref Utf8JsonReader reader)
    {
        if (typeof(T) == typeof(int))
        {
            return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number)
                ? (T)(object)number
                : throw Mismatch(reader.TokenType);
        }
        if (typeof(T) == typeof(long))
        {
            return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number)
                ? (T)(object)number
                : throw Mismatch(reader.TokenType);
        }
        if (typeof(T) == typeof(bool))
        {
            return reader.TokenType switch
            {
                JsonTokenType.True => (T)(object)true,
                JsonTokenType.False => (T)(object)false,
                _ => throw Mismatch(reader.TokenType),
            };
        }
        if (typeof(T) == typeof(Guid))
        {
            return reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var guid)
                ? (T)(object)guid
                : throw Mismatch(reader.TokenType);
        }
        if (typeof(T) == typeof(NoResult))
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Mismatch(reader.TokenType);
            }
            reader.Skip();
            return default!;
        }
        return reader.TokenType switch
        {
            JsonTokenType.String => (T)(object)reader.GetString()!,
            JsonTokenType.Null => default!,
            _ => throw Mismatch(reader.TokenType),
        };
    }

    /// <summary>
    /// Writes the JSON text of a number, a boolean or <see cref="NoResult"/> straight into <paramref name="output"/>
    /// (the bytes <see cref="Write"/> would produce through a <see cref="Utf8JsonWriter"/>, without renting, resetting
    /// and flushing one for a few bytes). False for the other types: strings need escaping, so they take the writer.
    /// </summary>
    public static bool TryWriteText(IBufferWriter<byte> output, T value)
    {
        int written;
        if (typeof(T) == typeof(int))
        {
            Utf8Formatter.TryFormat((int)(object)value!, output.GetSpan(11), out written);
        }
        else if (typeof(T) == typeof(long))
        {
            Utf8Formatter.TryFormat((long)(object)value!, output.GetSpan(20), out written);
        }
        else if (typeof(T) == typeof(bool))
        {
            var text = (bool)(object)value! ? "true"u8 : "false"u8;
            text.CopyTo(output.GetSpan(text.Length));
            written = text.Length;
        }
        else if (typeof(T) == typeof(NoResult))
        {
            "{}"u8.CopyTo(output.GetSpan(2));
            written = 2;
        }
        else
        {
            return false;
        }
        output.Advance(written);
        return true;
    }

    /// <summary>Reads a whole payload holding one value (nothing may follow it).</summary>
    public static T ReadPayload(ReadOnlySpan<byte> payload)
    {
        if (TryReadText(payload, out var direct))
        {
            return direct;
        }
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read())
        {
            throw new JsonException($"The payload holds no {typeof(T).Name} value.");
        }
        var value = Read(ref reader);
        if (reader.Read())
        {
            throw new JsonException($"The payload holds more than one {typeof(T).Name} value.");
        }
        return value;
    }

    /// <summary>
    /// The payloads <see cref="TryWriteText"/> produces, read without a <see cref="Utf8JsonReader"/>: an integer in
    /// JSON's own form (optional minus, no plus, no leading zero, no white space), <c>true</c>, <c>false</c>, <c>{}</c>.
    /// Anything else (including what JSON would refuse) goes to the reader, which decides as before.
    /// </summary>
    private static bool TryReadText(ReadOnlySpan<byte> payload, out T value)
    {
        value = default!;
        if (typeof(T) == typeof(int) || typeof(T) == typeof(long))
        {
            var digits = payload.Length > 0 && payload[0] == (byte)'-' ? payload[1..] : payload;
            if (digits.Length == 0 || (digits[0] == (byte)'0' && digits.Length > 1) || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                return false;
            }
            if (typeof(T) == typeof(int))
            {
                if (!Utf8Parser.TryParse(payload, out int number, out var consumed) || consumed != payload.Length)
                {
                    return false;
                }
                value = (T)(object)number;
                return true;
            }
            if (!Utf8Parser.TryParse(payload, out long wide, out var used) || used != payload.Length)
            {
                return false;
            }
            value = (T)(object)wide;
            return true;
        }
        if (typeof(T) == typeof(bool))
        {
            if (payload.SequenceEqual("true"u8))
            {
                value = (T)(object)true;
                return true;
            }
            if (payload.SequenceEqual("false"u8))
            {
                value = (T)(object)false;
                return true;
            }
            return false;
        }
        if (typeof(T) == typeof(NoResult))
        {
            return payload.SequenceEqual("{}"u8);
        }
        return false;
    }

    private static JsonException Mismatch(JsonTokenType token) =>
        new($"The JSON value could not be converted to {typeof(T)}: found a {token} token.");

    private sealed record Verdict(JsonSerializerOptions Options, bool Applies);
}
