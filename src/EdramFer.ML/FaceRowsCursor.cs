using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>
/// A cursor of <see cref="FaceRowsView"/>: stays on a source row for as many rows as it has faces. Face 0 is the source
/// row itself; faces 1..n-1 take their crop, index, box and score from the packed columns, every other column from the
/// source row.
/// </summary>
internal sealed class FaceRowsCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _source;
    private readonly FaceSlots _slots;
    private readonly ValueGetter<VBuffer<float>> _getBoxes;
    private readonly ValueGetter<VBuffer<byte>>? _getCrops;
    private VBuffer<float> _boxes;
    private VBuffer<byte> _crops;
    private long _cropsRow = -1;
    private int _face, _faces;
    private long _position = -1;

    public FaceRowsCursor(DataViewRowCursor source, FaceSlots slots)
    {
        _source = source;
        _slots = slots;
        _getBoxes = source.GetGetter<VBuffer<float>>(source.Schema[slots.MoreBoxes]);
        var crops = source.Schema[slots.MoreCrops];
        if (source.IsColumnActive(crops)) _getCrops = source.GetGetter<VBuffer<byte>>(crops);
    }

    public override DataViewSchema Schema => _source.Schema;

    public override long Position => _position;

    /// <summary>The source row's batch: the faces of an image stay in its batch, so a cursor set's order is kept.</summary>
    public override long Batch => _source.Batch;

    public override bool IsColumnActive(DataViewSchema.Column column) => _source.IsColumnActive(column);

    public override bool MoveNext()
    {
        if (_face + 1 < _faces)
        {
            _face++;
            _position++;
            return true;
        }
        _face = _faces = 0;
        if (!_source.MoveNext()) return false;
        _getBoxes(ref _boxes);
        if (_boxes.Length % CropColumns.BoxValues != 0)
            throw new InvalidOperationException($"Column '{CropColumns.MoreBoxes}' has {_boxes.Length} values, expected a multiple of {CropColumns.BoxValues}");
        _faces = 1 + _boxes.Length / CropColumns.BoxValues;
        _position++;
        return true;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        var source = _source.GetGetter<TValue>(column); // ML.NET's own checks: active column, matching type
        if (column.Index == _slots.Crop) return (ValueGetter<TValue>)(Delegate)CropGetter((ValueGetter<VBuffer<byte>>)(Delegate)source);
        if (column.Index == _slots.FaceIndex) return (ValueGetter<TValue>)(Delegate)IndexGetter((ValueGetter<int>)(Delegate)source);
        var slot = Array.IndexOf(_slots.Box, column.Index);
        return slot < 0 ? source : (ValueGetter<TValue>)(Delegate)BoxGetter((ValueGetter<float>)(Delegate)source, slot);
    }

    public override ValueGetter<DataViewRowId> GetIdGetter()
    {
        var source = _source.GetIdGetter();
        return (ref DataViewRowId id) =>
        {
            source(ref id);
            if (_face > 0) id = id.Combine(new DataViewRowId((ulong)_face, 0));
        };
    }

    private ValueGetter<int> IndexGetter(ValueGetter<int> source) => (ref int value) =>
    {
        if (_face == 0) source(ref value);
        else value = _face;
    };

    private ValueGetter<float> BoxGetter(ValueGetter<float> source, int slot) => (ref float value) =>
    {
        if (_face == 0) source(ref value);
        else value = Dense(_boxes)[(_face - 1) * CropColumns.BoxValues + slot];
    };

    private ValueGetter<VBuffer<byte>> CropGetter(ValueGetter<VBuffer<byte>> source) => (ref VBuffer<byte> value) =>
    {
        if (_face == 0)
        {
            source(ref value);
            return;
        }
        if (_cropsRow != _source.Position)
        {
            _getCrops!(ref _crops);
            _cropsRow = _source.Position;
        }
        var size = _crops.Length / (_faces - 1);
        var editor = VBufferEditor.Create(ref value, size);
        Dense(_crops).Slice((_face - 1) * size, size).CopyTo(editor.Values);
        value = editor.Commit();
    };

    /// <summary>The values of a vector the crop mapping wrote (always dense).</summary>
    private static ReadOnlySpan<T> Dense<T>(in VBuffer<T> v) =>
        v.IsDense ? v.GetValues() : throw new InvalidOperationException("the packed face columns are expected dense");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _source.Dispose();
        base.Dispose(disposing);
    }
}
