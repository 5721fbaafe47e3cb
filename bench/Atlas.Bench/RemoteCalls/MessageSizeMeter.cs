using System.Diagnostics.Metrics;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// How long Orleans's request and response messages really are, read from Orleans's own instruments
/// (<c>orleans-messaging-sent-messages-size</c> / <c>-received-messages-size</c> on the <c>Microsoft.Orleans</c> meter, tagged
/// with the message direction): the size recorded is headers + body; on the wire each message also has Orleans's 8-byte
/// length prefix (header length, body length). Listens only while it lives, so the timed rounds pay nothing for it.
/// </summary>
public sealed class MessageSizeMeter : IDisposable
{
    private const string SentInstrument = "orleans-messaging-sent-messages-size";
    private const string ReceivedInstrument = "orleans-messaging-received-messages-size";

    /// <summary>Orleans's framing before every message: two int32 lengths.</summary>
    public const int OrleansLengthPrefix = 8;

    private readonly MeterListener _listener = new();
    private long _requests;
    private long _requestBytes;
    private long _responses;
    private long _responseBytes;

    public MessageSizeMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.Orleans" && instrument.Name is SentInstrument or ReceivedInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.Start();
    }

    public long Requests => Interlocked.Read(ref _requests);

    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Mean headers + body of the requests this client sent.</summary>
    public double MeanRequestBytes => Requests == 0 ? double.NaN : Interlocked.Read(ref _requestBytes) / (double)Requests;

    /// <summary>Mean headers + body of the responses this client received.</summary>
    public double MeanResponseBytes => Responses == 0 ? double.NaN : Interlocked.Read(ref _responseBytes) / (double)Responses;

    /// <summary>Forgets what was counted so far.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _requestBytes, 0);
        Interlocked.Exchange(ref _responses, 0);
        Interlocked.Exchange(ref _responseBytes, 0);
    }

    private void OnMeasurement(Instrument instrument, int bytes, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? direction = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "MessageDirection")
            {
                direction = tag.Value as string;
            }
        }
        if (instrument.Name == SentInstrument && direction == "Request")
        {
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _requestBytes, bytes);
        }
        else if (instrument.Name == ReceivedInstrument && direction == "Response")
        {
            Interlocked.Increment(ref _responses);
            Interlocked.Add(ref _responseBytes, bytes);
        }
    }

    public void Dispose() => _listener.Dispose();
}
