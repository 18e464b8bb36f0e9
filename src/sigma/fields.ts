/** Field names to slots in the per-event cache, shared by every rule an engine runs. */
import { FieldCursor, type SigmaCategory } from './event.js';
import { type FieldResolver } from './values.js';

export class FieldRegistry {
  private readonly names: string[] = [];
  private readonly slots = new Map<string, number>();

  slotOf(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.names.length;
      this.names.push(name);
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** Resolves field names for rules of one category: only the fields that category's events have. */
  resolver(category: SigmaCategory): FieldResolver {
    const known = new Set(category.fields);
    return {
      slot: (field) => (known.has(field) ? this.slotOf(field) : null),
      allSlots: category.fields.map((f) => this.slotOf(f)),
    };
  }

  /** A cursor over every field registered so far (create it after the rules compiled). */
  cursor(): FieldCursor {
    return new FieldCursor([...this.names]);
  }
}
