// The register app's operations. REGISTER and TAKE_REGISTER are schema/examples/register.graphql
// and take_register.graphql without their comments (a test keeps them equal), so the app runs
// exactly the operations the contract tests check at the upstream-call floor.

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

export const REGISTER = `query Register($classId: ID!, $date: Date!) {
  academicYear {
    class(id: $classId) {
      id
      groupCode
      subjectCode
      rooms
      period { name start end }
      teachers { code title lastName }
      students {
        id
        preferredFirstName
        preferredLastName
        registrationGroup
        sessionMarks(from: $date) {
          session
          code { code label }
          alias { code label }
          minutesLate
          notes
        }
      }
    }
    attendanceCodes { id code label aliases { id code label } }
  }
}`;

export const TAKE_REGISTER = `mutation TakeRegister($inputs: [SessionAttendanceInput!]!, $idempotencyKey: String) {
  recordSessionAttendances(inputs: $inputs, idempotencyKey: $idempotencyKey) {
    index
    mark { date session student { id } code { code } alias { code } minutesLate notes }
    error { code message outcomeUnknown }
  }
}`;
