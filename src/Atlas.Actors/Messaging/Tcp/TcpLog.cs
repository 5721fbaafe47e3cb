using System.Net;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Messaging.Tcp;

/// <summary>The TCP transport's log events (source-generated, cheap when disabled).</summary>
internal sealed partial class TcpLog(ILogger logger)
{
    [LoggerMessage(101, LogLevel.Information, "Silo {Silo} listening on {EndPoint}")]
    public partial void Listening(string silo, EndPoint? endPoint);

    [LoggerMessage(102, LogLevel.Warning, "Refused a connection from {EndPoint} ({Remote}): {Reason}")]
    public partial void Refused(EndPoint? endPoint, string remote, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Closed a connection from {EndPoint} before its preamble: {Reason}")]
    public partial void BadPreamble(EndPoint? endPoint, string reason);

    [LoggerMessage(104, LogLevel.Warning, "Closed the connection with {Remote} at {EndPoint}: {Reason}")]
    public partial void ProtocolViolation(string remote, EndPoint? endPoint, string reason);

    [LoggerMessage(105, LogLevel.Debug, "Connection with {Remote} at {EndPoint} closed{Reason}")]
    public partial void Closed(string remote, EndPoint? endPoint, string reason);

    [LoggerMessage(106, LogLevel.Error, "The frame handler failed on the connection with {Remote}; closing it")]
    public partial void HandlerFailed(string remote, Exception exception);

    [LoggerMessage(107, LogLevel.Warning, "Accepting a connection failed: {Reason}")]
    public partial void AcceptFailed(string reason);

    [LoggerMessage(108, LogLevel.Debug, "Connected to {Remote} at {EndPoint}")]
    public partial void Connected(string remote, EndPoint? endPoint);

    [LoggerMessage(109, LogLevel.Debug, "Accepted {Remote} from {EndPoint}")]
    public partial void Accepted(string remote, EndPoint? endPoint);

    [LoggerMessage(110, LogLevel.Debug, "A connection from {EndPoint} ended before its preamble: {Reason}")]
    public partial void LeftBeforePreamble(EndPoint? endPoint, string reason);
}
