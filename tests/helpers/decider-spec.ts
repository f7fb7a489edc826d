import assert from 'node:assert/strict';

/**
 * Given / when / then for a decider (emmett's DeciderSpecification): the state is the fold of the given
 * events, the command is decided on it, and the events it decides are compared with the expected ones.
 */
export const deciderSpec = <Event, State, Command>(decider: {
  readonly evolve: (state: State, event: Event) => State;
  readonly initial: () => State;
  readonly decide: (command: Command, state: State) => readonly unknown[];
}) => ({
  given: (events: readonly Event[]) => ({
    when: (command: Command) => {
      const decided = () => decider.decide(command, events.reduce(decider.evolve, decider.initial()));
      return {
        thenAppends: (expected: readonly unknown[]) => assert.deepEqual(decided(), expected),
        thenNothing: () => assert.deepEqual(decided(), [], 'the command is already reflected: nothing to append'),
      };
    },
  }),
});
