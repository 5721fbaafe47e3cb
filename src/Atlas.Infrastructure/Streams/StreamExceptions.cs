namespace Atlas.Infrastructure.Streams;

/// <summary>
/// Redis could not take or serve a stream call (down, unreachable, too slow, still loading). Nothing was appended by
/// the failed call, or — if the answer was lost — it was appended once: consumers drop duplicates. Retry later.
/// </summary>
[GenerateSerializer, Alias("atlas.StreamUnavailableException")]
public sealed class StreamUnavailableException : Exception
{
    public StreamUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// A stream entry cannot be read: a field is missing, the payload is not valid JSON for its type, or its schema version
/// is unknown. The consumer moves such an entry to the dead-letter stream with this message as the reason.
/// </summary>
public sealed class StreamEntryFormatException : Exception
{
    public StreamEntryFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
