using System.IO.Compression;
using EdramFer.Fuzz.Targets;
using EdramFer.ML;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.Fuzz.Seeds;

/// <summary>
/// Pipeline zips saved by ML.NET around <see cref="TinyEdramModel"/>, referring to it as <see cref="PipelineZipTarget.ModelFileName"/>
/// next to the zip: the whole <c>edram pipeline</c> shape (PreprocessFace then ApplyEdram) and ApplyEdram alone, each
/// as saved (deflated) and re-packed without compression, so that byte mutations reach the saved states themselves.
/// </summary>
internal static class PipelineSeeds
{
    public static SortedDictionary<string, byte[]> Create()
    {
        var folder = Directory.CreateTempSubdirectory("edramfer-fuzz-seeds-").FullName;
        try
        {
            var model = Path.Combine(folder, PipelineZipTarget.ModelFileName);
            File.WriteAllBytes(model, TinyEdramModel.Bytes());
            var ml = new MLContext(seed: 0);
            var scoring = new EdramScoringOptions { ModelFile = model, InputColumnName = "Face", PipelineFolder = folder };
            var whole = ml.Transforms.PreprocessFace(new FaceCroppingOptions
            {
                OutputColumnName = "Face", InputColumnName = "path", PipelineFolder = folder,
                Preprocess = new PreprocessOptions { Detectors = [], OutputSize = TinyEdramModel.InputSize },
            }).Append(ml.Transforms.ApplyEdram(scoring));
            var paths = ml.Data.LoadFromEnumerable(Array.Empty<PathRow>());
            var faces = ml.Data.LoadFromEnumerable(Array.Empty<FaceRow>());
            var seeds = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            Add(seeds, "preprocess-and-score", Save(ml, whole.Fit(paths), paths.Schema, folder));
            Add(seeds, "score-only", Save(ml, ml.Transforms.ApplyEdram(scoring).Fit(faces), faces.Schema, folder));
            var sha = EdramModelInfo.Hash(model);
            foreach (var (name, state) in DamagedStates(sha))
                seeds[name + ".zip"] = Save(ml, StateOnly(ml, state).Fit(paths), paths.Schema, folder);
            var saved = seeds["preprocess-and-score.zip"];
            seeds["truncated.zip"] = saved[..(saved.Length / 2)];
            seeds["empty.zip"] = [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // end of central directory only
            return seeds;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>ApplyEdram payloads as a damaged or hand-edited zip could hold them (the JSON line of the state table).</summary>
    private static Dictionary<string, string> DamagedStates(string sha)
    {
        const string envelope = "{\"Kind\":\"edram.scoring\",\"State\":";
        var labels = $"\"Labels\":[{string.Join(",", TinyEdramModel.Labels.Select(l => $"\"{l}\""))}]";
        return new Dictionary<string, string>
        {
            ["state-intact"] = envelope + $"{{\"ModelPath\":\"{PipelineZipTarget.ModelFileName}\",\"RelativeToPipeline\":true,\"Sha256\":\"{sha}\",{labels}}}}}",
            ["state-not-json"] = envelope + "{\"ModelPath\":",
            ["state-null"] = envelope + "null}",
            ["state-kind-number"] = "{\"Kind\":5,\"State\":{}}",
            ["state-array"] = "[\"edram.scoring\"]",
            ["state-model-path-null"] = envelope + $"{{\"ModelPath\":null,\"Sha256\":\"{sha}\",{labels}}}}}",
            ["state-model-path-empty"] = envelope + $"{{\"ModelPath\":\"\",\"Sha256\":\"{sha}\",{labels}}}}}",
            ["state-sha-null"] = envelope + $"{{\"ModelPath\":\"{PipelineZipTarget.ModelFileName}\",\"RelativeToPipeline\":true,\"Sha256\":null,{labels}}}}}",
        };
    }

    /// <summary>Only the two transforms that carry a state (the constant key, then the key mapped to the payload), as ApplyEdram saves them.</summary>
    private static IEstimator<ITransformer> StateOnly(MLContext ml, string payload) =>
        ml.Transforms.CustomMapping(new StateKeyFactory().GetMapping(), StateKeyFactory.ContractName)
            .Append(ml.Transforms.Conversion.MapValue("__EdramState", [new KeyValuePair<string, string>("state", payload)], "__EdramStateKey"));

    private static void Add(SortedDictionary<string, byte[]> seeds, string name, byte[] zip)
    {
        seeds[name + ".zip"] = zip;
        seeds[name + "-stored.zip"] = Stored(zip);
    }

    private static byte[] Save(MLContext ml, ITransformer model, DataViewSchema schema, string folder)
    {
        var path = Path.Combine(folder, "pipeline.zip");
        ml.Model.Save(model, schema, path);
        return File.ReadAllBytes(path);
    }

    /// <summary>The same entries, in the same order, without compression.</summary>
    private static byte[] Stored(byte[] zip)
    {
        using var input = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                var copy = archive.CreateEntry(entry.FullName, CompressionLevel.NoCompression);
                copy.LastWriteTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero); // the same bytes on every run
                using var from = entry.Open();
                using var to = copy.Open();
                from.CopyTo(to);
            }
        }
        return output.ToArray();
    }

    private sealed class PathRow
    {
        public string path { get; set; } = "";
    }

    private sealed class FaceRow
    {
        [VectorType(TinyEdramModel.InputSize * TinyEdramModel.InputSize)]
        public byte[] Face { get; set; } = [];
    }
}
