/* Kernel option parsing (see options.h). Pure logic apart from printk. */
#include "core/kernel.h"
#include "core/options.h"

#define PREFIX "xenolith."

static int parse_int(const char *s, int *out)
{
    int neg = 0, v = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (*s < '0' || *s > '9')
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000)
            return -EINVAL;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

extern const struct kernel_option __kernel_options_start[], __kernel_options_end[];

int options_parse(char *word)
{
    const struct kernel_option *opts = __kernel_options_start;
    size_t n = (size_t)(__kernel_options_end - __kernel_options_start);

    if (__builtin_strncmp(word, PREFIX, sizeof(PREFIX) - 1) != 0)
        return 0;
    char *name = word + sizeof(PREFIX) - 1;
    char *value = __builtin_strchr(name, '=');
    size_t len = value ? (size_t)(value - name) : __builtin_strlen(name);
    if (value)
        value++;

    for (size_t i = 0; i < n; i++) {
        const struct kernel_option *o = &opts[i];
        if (__builtin_strlen(o->name) != len || __builtin_strncmp(o->name, name, len) != 0)
            continue;
        int rc = 0;
        switch (o->type) {
        case OPT_BOOL:
            if (!value)
                *(int *)o->value = 1;
            else if (!__builtin_strcmp(value, "1") || !__builtin_strcmp(value, "on"))
                *(int *)o->value = 1;
            else if (!__builtin_strcmp(value, "0") || !__builtin_strcmp(value, "off"))
                *(int *)o->value = 0;
            else
                rc = -EINVAL;
            break;
        case OPT_INT:
            rc = value ? parse_int(value, (int *)o->value) : -EINVAL;
            break;
        case OPT_STRING:
            if (value)
                *(const char **)o->value = value;
            else
                rc = -EINVAL;
            break;
        }
        if (rc < 0)
            printk("options: bad value for %s%s\n", PREFIX, o->name);
        return 1;
    }
    printk("options: unknown option %s (ignored)\n", word);
    return 1;
}
