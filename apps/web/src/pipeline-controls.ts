import { byId, h } from './dom.js';
import {
  type CustomPipeline,
  customProblem,
  DEFAULT_CUSTOM,
  fromSpec,
  OPERATION_DEFS,
  type OperationDef,
  type OperationKey,
  THUMBNAILS,
  toSpec,
  withOperation,
} from './pipeline.js';
import type { PresetsResponse } from './types.js';
import type { PipelineField } from './upload-form.js';

const FALLBACK_PRESET = 'delta-classic';

/**
 * The preset select and the "customise" panel. While customise is off the job uses the preset; once on,
 * the switches and sliders (started from the preset) become a pipeline spec.
 */
export class PipelineControls {
  private readonly select = byId<HTMLSelectElement>('preset');
  private readonly hint = byId('preset-hint');
  private readonly customise = byId<HTMLInputElement>('customise');
  private readonly panel = byId('operations');
  private presets: PresetsResponse['presets'] = {};
  private custom: CustomPipeline = DEFAULT_CUSTOM;
  private readonly rows = new Map<OperationKey, { update: (custom: CustomPipeline) => void }>();

  constructor(private readonly onChange: () => void) {
    this.select.addEventListener('change', () => {
      this.describePreset();
      this.onChange();
    });
    this.customise.addEventListener('change', () => {
      if (this.customise.checked) this.setCustom(fromSpec(this.presets[this.select.value]));
      this.showMode();
      this.onChange();
    });
    const general = OPERATION_DEFS.filter((def) => !def.detection);
    const detection = OPERATION_DEFS.filter((def) => def.detection);
    this.panel.append(
      ...general.map((def) => this.operationRow(def)),
      h('h3', { class: 'operations-heading' }, 'Detection datasets'),
      ...detection.map((def) => this.operationRow(def)),
      this.resetButton(),
    );
    this.showMode();
  }

  /** Fills the select from GET /api/presets; without it, the server's default preset is still used. */
  setPresets(response: PresetsResponse | undefined): void {
    this.presets = response?.presets ?? {};
    const names = Object.keys(this.presets);
    const chosen = response?.default && names.includes(response.default) ? response.default : (names[0] ?? '');
    this.select.replaceChildren(
      ...(names.length > 0
        ? names.map((name) => h('option', { value: name, selected: name === chosen }, name))
        : [h('option', { value: '' }, `Server default (${FALLBACK_PRESET})`)]),
    );
    this.select.value = chosen;
    this.describePreset();
  }

  /** The pipeline fields of the upload, or what is wrong with them. */
  value(): PipelineField | { readonly problem: string } {
    if (!this.customise.checked) return { preset: this.select.value };
    const problem = customProblem(this.custom);
    return problem ? { problem } : { pipeline: JSON.stringify(toSpec(this.custom)) };
  }

  private describePreset(): void {
    const spec = this.presets[this.select.value];
    const description =
      typeof spec === 'object' && spec !== null && 'description' in spec ? String(spec.description) : '';
    this.hint.textContent = this.customise.checked
      ? 'The operations below replace the preset.'
      : description || 'The server picks its default pipeline.';
  }

  private showMode(): void {
    this.panel.hidden = !this.customise.checked;
    this.select.disabled = this.customise.checked;
    this.describePreset();
  }

  private setCustom(custom: CustomPipeline): void {
    this.custom = custom;
    for (const row of this.rows.values()) row.update(custom);
  }

  private change(key: OperationKey, change: Parameters<typeof withOperation>[2]): void {
    this.setCustom(withOperation(this.custom, key, change));
    this.onChange();
  }

  private operationRow(def: OperationDef): HTMLElement {
    const id = `op-${def.key}`;
    const toggle = h('input', { id, type: 'checkbox', 'aria-describedby': `${id}-hint` });
    toggle.addEventListener('change', () => this.change(def.key, { on: toggle.checked }));
    const sliders = [
      { key: 'chance', label: 'Chance', min: 0, max: 100, step: 5, format: (v: number) => `${v}%` },
      ...def.sliders,
    ].map((slider) => {
      const sliderId = `${id}-${slider.key}`;
      const input = h('input', {
        id: sliderId,
        type: 'range',
        min: slider.min,
        max: slider.max,
        step: slider.step,
      });
      const output = h('output', { for: sliderId });
      input.addEventListener('input', () => {
        const value = Number(input.value);
        this.change(def.key, slider.key === 'chance' ? { chance: value } : { values: { [slider.key]: value } });
      });
      const element = h(
        'div',
        { class: 'slider' },
        h(
          'div',
          { class: 'slider-head' },
          h('label', { for: sliderId }, h('span', { class: 'visually-hidden' }, `${def.label} `), slider.label),
          output,
        ),
        input,
      );
      const update = (custom: CustomPipeline) => {
        const state = custom[def.key];
        const value = slider.key === 'chance' ? state.chance : (state.values[slider.key] ?? slider.min);
        input.value = String(value);
        output.textContent = slider.format(value);
        input.setAttribute('aria-valuetext', slider.format(value));
        input.disabled = !state.on;
      };
      return { element, update };
    });
    const card = h(
      'div',
      { class: 'operation' },
      ...(THUMBNAILS[def.key]
        ? [
            h('img', {
              class: 'thumbnail',
              src: THUMBNAILS[def.key],
              alt: '',
              width: 160,
              height: 100,
              loading: 'lazy',
            }),
          ]
        : []),
      h('div', { class: 'switch' }, toggle, h('label', { for: id }, def.label)),
      h('p', { class: 'hint', id: `${id}-hint` }, def.hint),
      ...sliders.map((s) => s.element),
    );
    this.rows.set(def.key, {
      update: (custom) => {
        toggle.checked = custom[def.key].on;
        card.classList.toggle('off', !custom[def.key].on);
        for (const slider of sliders) slider.update(custom);
      },
    });
    this.rows.get(def.key)?.update(this.custom);
    return card;
  }

  private resetButton(): HTMLElement {
    const button = h('button', { type: 'button', class: 'button ghost small' }, 'Reset to the preset');
    button.addEventListener('click', () => {
      this.setCustom(fromSpec(this.presets[this.select.value]));
      this.onChange();
    });
    return h('div', { class: 'operations-reset' }, button);
  }
}
