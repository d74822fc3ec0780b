using System.Text;

namespace Coord.Interop.Specs.Cli;

/// <summary>
/// A thread-safe text sink that tells waiters when something is written, so a spec waits on the command's
/// output itself instead of polling it.
/// </summary>
internal sealed class NotifyingWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Append(value.ToString());
    public override void Write(string? value) => Append(value ?? "");
    public override void Write(char[] buffer, int index, int count) => Append(new string(buffer, index, count));

    private void Append(string s)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            _text.Append(s);
            done = _written;
            _written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        done.TrySetResult();
    }

    public override string ToString()
    {
        lock (_gate) return _text.ToString();
    }

    /// <summary>Completes when anything more is written, or after <paramref name="timeout"/> (false then).</summary>
    public async Task<bool> NextWriteAsync(TimeSpan timeout)
    {
        Task next;
        lock (_gate) next = _written.Task;
        return await Task.WhenAny(next, Task.Delay(timeout)) == next;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_text.ToString().Contains(text, StringComparison.Ordinal)) return;
                next = _written.Task;
            }
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero && await Task.WhenAny(next, Task.Delay(left)) == next, $"no '{text}' in: {this}");
        }
    }
}
