import { type ApiClient, ApiError, type UploadHandle } from './api.js';
import { byId, h } from './dom.js';
import { formatBytes, parseTags, tagProblem } from './format.js';
import type { JobView } from './types.js';

/** What the pipeline part of the form contributes: a preset name, or a custom spec. */
export type PipelineField = { readonly preset: string } | { readonly pipeline: string };

export interface UploadFormOptions {
  readonly api: ApiClient;
  /** The pipeline fields, or a message saying what is wrong with them. */
  readonly pipeline: () => PipelineField | { readonly problem: string };
  readonly maxVariants: number;
  readonly onCreated: (job: JobView) => void;
  readonly onAuthNeeded: () => void;
  readonly announce: (message: string) => void;
  /** The chosen files or the seed changed (the preview strip follows them). */
  readonly onInputChange?: () => void;
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|tiff?|avif|gif|heic|heif)$/i;
const isZip = (file: File): boolean => /\.zip$/i.test(file.name) || /zip/.test(file.type);
const isImage = (file: File): boolean => file.type.startsWith('image/') || IMAGE_EXTENSIONS.test(file.name);
const keyOf = (file: File): string => `${file.name}|${file.size}|${file.lastModified}`;

/** Field name from the API (e.g. "file", "file:cats/a.jpg", "pipeline.operations[0]") → the id of its control. */
const CONTROL_OF: Record<string, string> = {
  file: 'drop-zone',
  files: 'drop-zone',
  variants: 'variants',
  tags: 'tags',
  preset: 'preset',
  pipeline: 'customise',
  seed: 'seed',
};

/** The upload form: chosen files, options, validation, the upload itself and its errors. */
export class UploadForm {
  private files: { file: File; preview?: string }[] = [];
  private upload: UploadHandle | undefined;
  private readonly form = byId<HTMLFormElement>('upload-form');
  private readonly input = byId<HTMLInputElement>('file-input');
  private readonly zone = byId<HTMLButtonElement>('drop-zone');
  private readonly list = byId<HTMLUListElement>('file-list');
  private readonly variants = byId<HTMLInputElement>('variants');
  private readonly variantsRange = byId<HTMLInputElement>('variants-range');
  private readonly tags = byId<HTMLInputElement>('tags');
  private readonly seed = byId<HTMLInputElement>('seed');
  private readonly alert = byId('form-error');
  private readonly submit = byId<HTMLButtonElement>('submit');
  private readonly progress = byId('upload-progress');
  private readonly bar = byId('upload-bar');
  private readonly status = byId('upload-status');

  constructor(private readonly options: UploadFormOptions) {
    this.variants.max = String(options.maxVariants);
    this.variantsRange.max = String(options.maxVariants);
    byId('variants-hint').textContent = `From 1 to ${options.maxVariants}.`;
    this.wireFiles();
    this.variantsRange.addEventListener('input', () => {
      this.variants.value = this.variantsRange.value;
      this.clearFieldError('variants');
    });
    this.variants.addEventListener('input', () => {
      this.variantsRange.value = this.variants.value;
      this.clearFieldError('variants');
    });
    this.tags.addEventListener('input', () => this.clearFieldError('tags'));
    this.seed.addEventListener('input', () => {
      this.clearFieldError('seed');
      this.options.onInputChange?.();
    });
    byId('upload-cancel').addEventListener('click', () => this.upload?.abort());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
  }

  /** The first chosen image (not a zip), for the preview. */
  firstImage(): File | undefined {
    return this.files.find((f) => isImage(f.file))?.file;
  }

  /** The seed typed in, '' when left random. */
  seedValue(): string {
    return this.seed.value.trim();
  }

  private wireFiles(): void {
    this.zone.addEventListener('click', () => this.input.click());
    this.input.addEventListener('change', () => {
      this.addFiles([...(this.input.files ?? [])]);
      this.input.value = '';
    });
    const over = (event: DragEvent) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      this.zone.classList.add('dragging');
    };
    this.zone.addEventListener('dragenter', over);
    this.zone.addEventListener('dragover', over);
    this.zone.addEventListener('dragleave', () => this.zone.classList.remove('dragging'));
    this.zone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.zone.classList.remove('dragging');
      this.addFiles([...(event.dataTransfer?.files ?? [])]);
    });
    // A file dropped beside the zone must not make the browser navigate away from the page.
    for (const type of ['dragover', 'drop'] as const) {
      window.addEventListener(type, (event) => {
        if (!this.zone.contains(event.target as Node)) event.preventDefault();
      });
    }
  }

  private addFiles(added: File[]): void {
    if (added.length === 0) return;
    const known = new Set(this.files.map((f) => keyOf(f.file)));
    for (const file of added) {
      if (known.has(keyOf(file))) continue;
      known.add(keyOf(file));
      this.files.push({ file, preview: isImage(file) ? URL.createObjectURL(file) : undefined });
    }
    this.clearFieldError('file');
    this.renderFiles();
    this.options.onInputChange?.();
    this.options.announce(`${this.files.length} file${this.files.length === 1 ? '' : 's'} chosen`);
  }

  private removeFile(index: number): void {
    const [removed] = this.files.splice(index, 1);
    if (removed?.preview) URL.revokeObjectURL(removed.preview);
    this.renderFiles();
    this.options.onInputChange?.();
    const next = this.list.querySelectorAll('button')[Math.min(index, this.files.length - 1)];
    (next ?? this.zone).focus();
    this.options.announce(`${removed?.file.name ?? 'File'} removed`);
  }

  private renderFiles(): void {
    this.list.replaceChildren(
      ...this.files.map(({ file, preview }, index) => {
        const remove = h(
          'button',
          { type: 'button', class: 'button ghost small', 'aria-label': `Remove ${file.name}` },
          'Remove',
        );
        remove.addEventListener('click', () => this.removeFile(index));
        const badge = h('span', { class: 'file-preview', 'aria-hidden': 'true' }, isZip(file) ? 'ZIP' : 'FILE');
        const thumb = preview ? h('img', { class: 'file-preview', src: preview, alt: '' }) : badge;
        // A file the browser cannot show (corrupt, or a format it lacks) gets the plain badge instead.
        thumb.addEventListener('error', () => thumb.replaceWith(badge));
        return h(
          'li',
          { class: 'file-item' },
          thumb,
          h('span', { class: 'file-name' }, file.name, h('span', { class: 'file-size' }, formatBytes(file.size))),
          remove,
        );
      }),
    );
    const count = this.files.length;
    byId('drop-sub').textContent = count === 0 ? 'or press to choose files' : `${count} chosen · press to add more`;
  }

  /** Client-side checks, so that obvious mistakes are explained before anything is sent. */
  private validate(): { form: FormData } | undefined {
    this.clearErrors();
    const problems: [string, string][] = [];
    const files = this.files.map((f) => f.file);
    const zips = files.filter(isZip);
    const other = files.find((f) => !isZip(f) && !isImage(f));
    if (files.length === 0) problems.push(['file', 'Choose at least one image or a dataset .zip.']);
    else if (other) problems.push(['file', `${other.name} is neither an image nor a .zip.`]);
    else if (zips.length > 0 && files.length > 1)
      problems.push(['file', 'A dataset .zip must be uploaded on its own.']);
    const variants = Number(this.variants.value);
    if (!Number.isInteger(variants) || variants < 1 || variants > this.options.maxVariants) {
      problems.push(['variants', `Variants must be a whole number from 1 to ${this.options.maxVariants}.`]);
    }
    const tags = parseTags(this.tags.value);
    const tagError = tagProblem(tags);
    if (tagError) problems.push(['tags', tagError]);
    const seedText = this.seed.value.trim();
    const seed = Number(seedText);
    if (seedText && (!Number.isInteger(seed) || seed < 0 || seed > 4294967295)) {
      problems.push(['seed', 'The seed must be a whole number from 0 to 4294967295, or empty.']);
    }
    const pipeline = this.options.pipeline();
    if ('problem' in pipeline) problems.push(['pipeline', pipeline.problem]);
    if (problems.length > 0) {
      for (const [field, message] of problems) this.showFieldError(field, message);
      // Each message sits by its field; focusing the first field makes a screen reader read it.
      const [[firstField]] = problems as [[string, string]];
      if (problems.length > 1) this.showAlert(`Please fix the ${problems.length} highlighted fields.`, false);
      this.controlOf(firstField)?.focus();
      return undefined;
    }
    const form = new FormData();
    form.set('variants', String(variants));
    form.set('tags', tags.join(','));
    if ('preset' in pipeline) form.set('preset', pipeline.preset);
    else if ('pipeline' in pipeline) form.set('pipeline', pipeline.pipeline);
    if (seedText) form.set('seed', seedText);
    // Files last: the server can validate the fields before it reads the bytes.
    for (const file of files) form.append('file', file, file.name);
    return { form };
  }

  private async send(): Promise<void> {
    if (this.upload) return;
    const checked = this.validate();
    if (!checked) return;
    const total = this.files.reduce((sum, f) => sum + f.file.size, 0);
    this.setBusy(true);
    this.setProgress(0, total);
    this.options.announce('Uploading');
    this.upload = this.options.api.createJob(checked.form, (fraction) => this.setProgress(fraction, total));
    try {
      const job = await this.upload.done;
      this.clearFiles();
      this.options.announce('Upload complete. The job is queued.');
      this.options.onCreated(job);
    } catch (error) {
      this.showApiError(error);
    } finally {
      this.upload = undefined;
      this.setBusy(false);
    }
  }

  private showApiError(error: unknown): void {
    if (!(error instanceof ApiError)) {
      this.showAlert(`Something went wrong: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (error.code === 'ABORTED') {
      this.options.announce('Upload cancelled');
      return;
    }
    if (error.status === 401) this.options.onAuthNeeded();
    const field = error.field?.split(/[:.[]/)[0];
    if (field && CONTROL_OF[field]) this.controlOf(field)?.setAttribute('aria-invalid', 'true');
    this.showAlert(error.message);
  }

  private setBusy(busy: boolean): void {
    this.submit.disabled = busy;
    this.submit.textContent = busy ? 'Uploading…' : 'Augment';
    this.progress.hidden = !busy;
  }

  private setProgress(fraction: number, totalBytes: number): void {
    const percent = Math.round(fraction * 100);
    this.bar.style.width = `${percent}%`;
    this.status.textContent =
      percent >= 100 ? 'Checking the images…' : `Uploading ${percent}% of ${formatBytes(totalBytes)}`;
  }

  private clearFiles(): void {
    for (const f of this.files) if (f.preview) URL.revokeObjectURL(f.preview);
    this.files = [];
    this.renderFiles();
  }

  private controlOf(field: string): HTMLElement | undefined {
    const id = CONTROL_OF[field];
    return id ? byId(id) : undefined;
  }

  private showFieldError(field: string, message: string): void {
    const control = this.controlOf(field);
    control?.setAttribute('aria-invalid', 'true');
    control?.closest('details')?.setAttribute('open', '');
    const slot = document.getElementById(`${CONTROL_OF[field] === 'drop-zone' ? 'files' : field}-error`);
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
    }
  }

  private clearFieldError(field: string): void {
    this.controlOf(field)?.removeAttribute('aria-invalid');
    const slot = document.getElementById(`${CONTROL_OF[field] === 'drop-zone' ? 'files' : field}-error`);
    if (slot) slot.hidden = true;
  }

  private clearErrors(): void {
    for (const field of Object.keys(CONTROL_OF)) this.clearFieldError(field);
    this.alert.hidden = true;
  }

  /** The form-level message; focused so that keyboard and screen-reader users land on it. */
  private showAlert(message: string, focus = true): void {
    this.alert.textContent = message;
    this.alert.hidden = false;
    if (focus) this.alert.focus();
  }

  /** Shown by the pipeline controls when the user edits them. */
  clearPipelineError(): void {
    this.clearFieldError('pipeline');
  }
}
