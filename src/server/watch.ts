import { unwatchFile, watchFile, type Stats } from 'node:fs';

/**
 * Watches the files a config reads through `%{file:…}%` (certificates, keys, secrets) and
 * calls back once per burst of changes. Stat polling notices both an in-place rewrite and a
 * new file renamed over the old one, which is how certificate renewal tools install files.
 */
export class FileWatcher {
  private watched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: (paths: string[]) => void,
    private readonly intervalMs = 1000,
    private readonly settleMs = 250,
  ) {}

  private readonly pending = new Set<string>();

  watch(paths: readonly string[]): void {
    const next = new Set(paths);
    for (const p of this.watched) if (!next.has(p)) unwatchFile(p);
    for (const p of next) {
      if (this.watched.has(p)) continue;
      watchFile(p, { interval: this.intervalMs, persistent: false }, (curr: Stats, prev: Stats) => {
        if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
        this.pending.add(p);
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          const changed = [...this.pending];
          this.pending.clear();
          this.onChange(changed);
        }, this.settleMs);
      });
    }
    this.watched = next;
  }

  close(): void {
    clearTimeout(this.timer);
    for (const p of this.watched) unwatchFile(p);
    this.watched.clear();
  }
}
