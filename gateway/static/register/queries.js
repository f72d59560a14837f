// The register app's operations. REGISTER and TAKE_REGISTER are the contract's own examples
// (schema/examples/register.graphql and take_register.graphql link to the files beside this
// one), so the app runs exactly the operations the contract tests check at the call floor.

/** Teachers, the timetabled classes (with their periods), and the chosen day's calendar entry
 *  (its day type and timetable week), to offer a teacher's classes on that day. */
export const SETUP = `query RegisterSetup($date: Date!) {
  school { name }
  academicYear {
    year
    teachers { id code title lastName }
    classes {
      id
      groupCode
      subjectCode
      teacherIds
      period { id name dayOfWeek week start }
    }
    calendar(from: $date, to: $date) { date dayType week }
  }
}`;

/** An operation of the contract's examples, as the gateway serves it beside this app
 *  (schema/examples/register.graphql and take_register.graphql are these very files). */
async function operation(name) {
  const response = await fetch(new URL(`./${name}.graphql`, import.meta.url));
  if (!response.ok) throw new Error(`${name}.graphql: ${response.status}`);
  return response.text();
}

export const REGISTER = await operation("register");
export const TAKE_REGISTER = await operation("take_register");
