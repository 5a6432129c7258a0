using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// One output record as a JSON Lines object keyed by the output header: numeric columns as JSON numbers (their
/// invariant round-trip text, unchanged), empty numeric fields as null, everything else as strings.
/// </summary>
internal static class JsonLinesRecord
{
    private static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The record as one line (without the line break).</summary>
    public static string Format(IReadOnlyList<string> header, IReadOnlyList<string> record, Func<int, bool> numeric)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Compact))
        {
            json.WriteStartObject();
            for (var i = 0; i < header.Count; i++)
            {
                var value = i < record.Count ? record[i] : "";
                json.WritePropertyName(header[i]);
                if (!numeric(i)) json.WriteStringValue(value);
                else if (value.Length == 0) json.WriteNullValue();
                else if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) json.WriteRawValue(value);
                else json.WriteStringValue(value); // never written by the scorers; kept rather than lost
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
